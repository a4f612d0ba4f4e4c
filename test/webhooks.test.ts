import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Conversation } from '../src/copilot/conversation.js';
import { IncidentSchema, type Incident } from '../src/model/incident.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { createHttpServer, type HttpServer } from '../src/server/http.js';
import { webhookRoutes, type WebhookRoutes } from '../src/server/webhooks.js';
import { listIncidents } from '../src/cli/incidents.js';
import type { Config } from '../src/config.js';
import { testConfig } from './helpers.js';

/**
 * The alert receivers over a real conversation layer and the scenario world: one incident per alert group, updates
 * and resolutions of the same incident, and clear refusals.
 */
const TOKEN = 's3cret-token';

interface Receiver {
  runtime: ServeRuntime;
  channel: ConsoleChannel;
  conversation: Conversation;
  webhooks: WebhookRoutes;
  server: HttpServer;
  logs: string[];
}

async function startReceiver(runtime: ServeRuntime): Promise<Receiver> {
  const channel = new ConsoleChannel({ stream: null });
  const conversation = runtime.conversationFor(runtime.copilotFor(channel));
  await conversation.restore();
  const logs: string[] = [];
  const webhooks = webhookRoutes({ conversation: () => conversation, token: TOKEN, log: (line) => logs.push(line) });
  const server = await createHttpServer({ port: 0, host: '127.0.0.1', version: 'test', routes: webhooks.routes, log: (line) => logs.push(line) });
  return { runtime, channel, conversation, webhooks, server, logs };
}

const post = (r: Receiver, path: string, body: unknown, token: string | null = TOKEN) =>
  fetch(`${r.server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

async function incidents(runtime: ServeRuntime): Promise<Incident[]> {
  const ids = await runtime.store.listIncidents();
  return Promise.all(ids.map(async (id) => IncidentSchema.parse(await runtime.store.get(id, 'incident'))));
}

type Payload = { status: string; groupKey: string; alerts: { status: string; labels: Record<string, string>; fingerprint: string; startsAt: string; endsAt: string }[] };
const scenarioPayload = (r: Receiver) => r.runtime.world!.alertPayload() as Payload;
const resolvedCopy = (p: Payload): Payload => ({ ...p, status: 'resolved', alerts: p.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: new Date(Date.parse(a.startsAt) + 60_000).toISOString() })) });

let runtime: ServeRuntime;
let r: Receiver;
let config: Config;
beforeAll(async () => {
  config = await testConfig();
  runtime = await createServeRuntime({ config, seed: 3 });
  r = await startReceiver(runtime);
});
afterAll(async () => {
  await r?.server.close(0);
  await r?.webhooks.idle();
  await runtime?.close();
});

describe('webhook authentication and input', () => {
  it('refuses a missing or wrong bearer token with 401', async () => {
    const body = scenarioPayload(r);
    expect((await post(r, '/webhooks/alertmanager', body, null)).status).toBe(401);
    const wrong = await post(r, '/webhooks/alertmanager', body, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect(await runtime.store.listIncidents()).toEqual([]);
  });

  it('answers malformed JSON and non-alerts with 400 and a reason', async () => {
    const broken = await post(r, '/webhooks/alertmanager', '{"alerts": [');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/not valid JSON/);
    const noAlerts = await post(r, '/webhooks/alertmanager', { version: '4', status: 'firing' });
    expect(noAlerts.status).toBe(400);
    expect(((await noAlerts.json()) as { error: string }).error).toMatch(/not an Alertmanager webhook \(version 4\): alerts/);
    const noName = await post(r, '/webhooks/grafana', { orgId: 1, alerts: [{ status: 'firing', labels: {}, startsAt: '2026-11-20T13:00:00Z' }] });
    expect(noName.status).toBe(400);
    expect(((await noName.json()) as { error: string }).error).toMatch(/alerts\[0\]\.labels has no "alertname"/);
    const notAlert = await post(r, '/webhooks/generic', { hello: 'world' });
    expect(notAlert.status).toBe(400);
    expect(((await notAlert.json()) as { error: string }).error).toMatch(/^not an alert: /);
    expect(await runtime.store.listIncidents()).toEqual([]);
  });

  it('acknowledges and ignores a resolved notification for a group it never saw', async () => {
    const res = await post(r, '/webhooks/alertmanager', resolvedCopy({ ...scenarioPayload(r), groupKey: '{}:{alertname="NeverSeen"}', alerts: scenarioPayload(r).alerts.map((a) => ({ ...a, fingerprint: 'ffff0000ffff0000' })) }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'accepted', outcome: 'ignored' });
    expect(await runtime.store.listIncidents()).toEqual([]);
  });
});

describe('an Alertmanager alert group', () => {
  it('opens one incident, persisted before the 202, and diagnoses the scenario’s fault in the background', async () => {
    const res = await post(r, '/webhooks/alertmanager', scenarioPayload(r));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { incidentId: string };
    expect(body).toMatchObject({ status: 'accepted', incidentId: expect.stringMatching(/^INC-/) });
    expect(await runtime.store.get(body.incidentId, 'incident')).not.toBeNull();
    await r.webhooks.idle();
    const [incident] = await incidents(runtime);
    expect(incident).toMatchObject({ id: body.incidentId, status: 'diagnosed' });
    expect(r.conversation.copilot.session(body.incidentId)!.result.ranked[0]).toMatchObject({ component: 'payment-service', kind: 'bad_deploy' });
  });

  it('treats a re-send of the group as an update of the same incident: silent when nothing changed, a note when an alert joined', async () => {
    const before = r.channel.transcript();
    const again = await post(r, '/webhooks/alertmanager', scenarioPayload(r));
    expect(await again.json()).toMatchObject({ outcome: 'updated', joined: [] });
    expect(r.channel.transcript()).toBe(before);

    const payload = scenarioPayload(r);
    const newcomer = { ...payload.alerts[0]!, labels: { ...payload.alerts[0]!.labels, instance: 'pay-2' }, fingerprint: '0123456789abcdef' };
    const grown = await post(r, '/webhooks/alertmanager', { ...payload, alerts: [...payload.alerts, newcomer] });
    expect(await grown.json()).toMatchObject({ status: 'accepted', outcome: 'updated', joined: ['PaymentSuccessRateLow'] });
    expect(r.channel.transcript()).toMatch(/➕ 1 more alert\(s\) joined this incident: PaymentSuccessRateLow/);
    await r.webhooks.idle();
    expect(await runtime.store.listIncidents()).toHaveLength(1);
  });

  it('keeps the group after a restart: a re-send is still an update', async () => {
    const restarted = await startReceiver(runtime);
    try {
      const res = await post(restarted, '/webhooks/alertmanager', scenarioPayload(r));
      expect(await res.json()).toMatchObject({ outcome: 'updated', joined: [] });
      expect(await runtime.store.listIncidents()).toHaveLength(1);
    } finally {
      await restarted.server.close(0);
    }
  });

  it('closes the incident on the resolved notification, with the alert names in its thread', async () => {
    const res = await post(r, '/webhooks/alertmanager', resolvedCopy(scenarioPayload(r)));
    expect(await res.json()).toMatchObject({ status: 'accepted', outcome: 'resolved' });
    const [incident] = await incidents(runtime);
    expect(incident!.status).toBe('resolved');
    expect(r.conversation.copilot.session(incident!.id)!.incident.status).toBe('resolved');
    expect(r.channel.transcript()).toMatch(/✅ resolved at the source at .* UTC: PaymentSuccessRateLow\. INC-\S+ is closed\./);
    // `incidents` agrees, though the proposed fix still waits in its (suspended) run
    expect((await listIncidents(config)).find((i) => i.id === incident!.id)).toMatchObject({ status: 'resolved', detail: expect.stringMatching(/closed at the source/) });
    // a second resolved notification (Alertmanager repeats them) finds nothing open
    expect(await (await post(r, '/webhooks/alertmanager', resolvedCopy(scenarioPayload(r)))).json()).toMatchObject({ outcome: 'ignored' });
  });
});

describe('a generic alert', () => {
  it('opens one incident per alert, updates it on a repeat, and closes it on "status": "resolved"', async () => {
    const alert = { name: 'CheckoutLatencyHigh', service: 'checkout-service', severity: 'warning', summary: 'p99 above 2s', startsAt: '2026-11-20T13:10:00Z' };
    const opened = await post(r, '/webhooks/generic', alert);
    expect(opened.status).toBe(202);
    const { incidentId } = (await opened.json()) as { incidentId: string };
    expect(await (await post(r, '/webhooks/generic', alert)).json()).toMatchObject({ outcome: 'updated', incidentId });
    await r.webhooks.idle();
    expect(await (await post(r, '/webhooks/generic', { ...alert, status: 'resolved' })).json()).toMatchObject({ outcome: 'resolved', incidentId });
    expect(((await runtime.store.get(incidentId, 'incident')) as Incident).status).toBe('resolved');
    expect(await runtime.store.listIncidents()).toHaveLength(2);
  });
});
