import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Conversation } from '../src/copilot/conversation.js';
import { IncidentSchema } from '../src/model/incident.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { createHttpServer, type HttpServer } from '../src/server/http.js';
import { webhookRoutes, type WebhookRoutes } from '../src/server/webhooks.js';
import { testConfig } from './helpers.js';
import { freePort } from '../src/live/daemons.js';

/**
 * A real Alertmanager delivering its webhook to the receiver: alerts are POSTed to Alertmanager's API, which groups
 * them (group_wait 1 s, group_interval 2 s) and notifies /webhooks/alertmanager with a bearer token. One group is one
 * incident with a diagnosis; a new alert of the group is an update; the resolved notification closes the incident.
 */
const BINARY = '/usr/bin/prometheus-alertmanager';
const present = existsSync(BINARY);
if (!present) console.warn(`alertmanager integration test skipped: ${BINARY} is missing (Debian package prometheus-alertmanager)`);

const TOKEN = 'am-integration-token';
const WAIT = { timeout: 15_000, interval: 100 };

describe.skipIf(!present)('a real Alertmanager webhook delivery', () => {
  let runtime: ServeRuntime;
  let conversation: Conversation;
  let channel: ConsoleChannel;
  let webhooks: WebhookRoutes;
  let receiver: HttpServer;
  let alertmanager: ChildProcess | null = null;
  let amUrl: string;
  let dir: string;
  const amLog: string[] = [];

  beforeAll(async () => {
    runtime = await createServeRuntime({ config: await testConfig(), seed: 6 });
    channel = new ConsoleChannel({ stream: null });
    conversation = runtime.conversationFor(runtime.copilotFor(channel));
    webhooks = webhookRoutes({ conversation: () => conversation, token: TOKEN, log: () => undefined });
    receiver = await createHttpServer({ port: 0, host: '127.0.0.1', version: 'test', routes: webhooks.routes, log: () => undefined });
    dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-am-'));
    await writeFile(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: sre-copilot',
        '  group_by: [alertname]',
        '  group_wait: 1s',
        '  group_interval: 2s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: sre-copilot',
        '    webhook_configs:',
        `      - url: ${receiver.url}/webhooks/alertmanager`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${TOKEN}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    alertmanager = spawn(BINARY, [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', `--storage.path=${path.join(dir, 'data')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    alertmanager.stderr?.on('data', (d: Buffer) => amLog.push(d.toString()));
    await vi.waitFor(async () => expect((await fetch(`${amUrl}/-/ready`)).status).toBe(200), WAIT).catch((err: unknown) => {
      throw new Error(`Alertmanager did not become ready: ${(err as Error).message}\n${amLog.join('').slice(-2000)}`);
    });
  }, 30_000);

  afterAll(async () => {
    if (alertmanager && alertmanager.exitCode === null) {
      const exited = new Promise((resolve) => alertmanager!.once('exit', resolve));
      alertmanager.kill('SIGTERM');
      await exited;
    }
    await receiver?.close(0);
    await webhooks?.idle();
    await runtime?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  type WorldAlert = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string };
  const worldAlert = () => (runtime.world!.alertPayload() as { alerts: WorldAlert[] }).alerts[0]!;
  const postAlerts = async (alerts: unknown[]) => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', body: JSON.stringify(alerts), headers: { 'content-type': 'application/json' } });
    expect(res.status, await res.text()).toBe(200);
  };
  const incidents = async () => Promise.all((await runtime.store.listIncidents()).map(async (id) => IncidentSchema.parse(await runtime.store.get(id, 'incident'))));
  const first = () => worldAlert();
  const second = () => ({ ...first(), labels: { ...first().labels, instance: 'pay-2' } });
  const firing = (a: WorldAlert) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt });

  it('opens one incident for the group, with a diagnosis of the scenario’s fault', async () => {
    await postAlerts([firing(first())]);
    await vi.waitFor(async () => expect(await runtime.store.listIncidents()).toHaveLength(1), WAIT);
    await webhooks.idle();
    const [incident] = await incidents();
    expect(incident!.status).toBe('diagnosed');
    expect(conversation.copilot.session(incident!.id)!.result.ranked[0]).toMatchObject({ component: 'payment-service', kind: 'bad_deploy' });
  }, 30_000);

  it('takes another alert of the same group as an update of the same incident', async () => {
    await postAlerts([firing(first()), firing(second())]);
    await vi.waitFor(() => expect(channel.transcript()).toMatch(/➕ 1 more alert\(s\) joined this incident: PaymentSuccessRateLow/), WAIT);
    expect(await runtime.store.listIncidents()).toHaveLength(1);
  }, 30_000);

  it('closes the incident on the resolved notification', async () => {
    const ended = (a: WorldAlert) => ({ ...firing(a), endsAt: new Date(Date.parse(a.startsAt) + 60_000).toISOString() });
    await postAlerts([ended(first()), ended(second())]);
    await vi.waitFor(async () => expect((await incidents())[0]!.status).toBe('resolved'), WAIT);
    expect(channel.transcript()).toMatch(/✅ resolved at the source at .* UTC: PaymentSuccessRateLow\./);
    expect(await runtime.store.listIncidents()).toHaveLength(1);
  }, 30_000);
});
