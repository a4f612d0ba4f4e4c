import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlert } from '../src/alerts/index.js';
import { ConsoleChannel } from '../src/bot/console-channel.js';
import type { Conversation } from '../src/copilot/conversation.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { createReconciler } from '../src/server/reconcile.js';
import { testConfig } from './helpers.js';

/**
 * The reconcile against a local stand-in of Alertmanager's GET /api/v2/alerts: a firing alert no webhook delivered
 * opens its incident (at the second read, leaving the webhook time to come first), and only once; an unreadable
 * Alertmanager is logged once and backed off.
 */
let answer: { status: number; body: unknown } = { status: 200, body: [] };
const queries: string[] = [];
let standIn: Server;
let url: string;
let runtime: ServeRuntime;
let conversation: Conversation;

beforeAll(async () => {
  standIn = createServer((req, res) => {
    queries.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
  runtime = await createServeRuntime({ config: await testConfig(), seed: 4 });
  conversation = runtime.conversationFor(runtime.copilotFor(new ConsoleChannel({ stream: null })));
});
afterAll(async () => {
  await new Promise((resolve) => standIn?.close(resolve));
  await runtime?.close();
});

/** The scenario's alert as Alertmanager's API lists it. */
function gettable(receiver = 'sre-copilot') {
  const payload = runtime.world!.alertPayload() as { alerts: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; fingerprint: string }[] };
  const a = payload.alerts[0]!;
  return { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: '2099-01-01T00:00:00Z', updatedAt: a.startsAt, fingerprint: a.fingerprint, receivers: [{ name: receiver }], status: { state: 'active', silencedBy: [], inhibitedBy: [] } };
}

describe('the Alertmanager reconcile', () => {
  it('skips alerts routed to another receiver', async () => {
    answer = { status: 200, body: [gettable('someone-else')] };
    const reconciler = createReconciler({ url, intervalMs: 60_000, receiver: 'sre-copilot', conversation, log: () => undefined });
    await reconciler.runOnce();
    expect(await reconciler.runOnce()).toEqual({ ok: true, fed: 0 });
    expect(queries.at(-1)).toBe('/api/v2/alerts?active=true&silenced=false&inhibited=false');
  });

  it('opens an incident for a firing alert no webhook delivered, at the second read, and only once', async () => {
    answer = { status: 200, body: [gettable()] };
    const logs: string[] = [];
    const reconciler = createReconciler({ url, intervalMs: 60_000, receiver: 'sre-copilot', conversation, log: (l) => logs.push(l) });
    expect(await reconciler.runOnce()).toEqual({ ok: true, fed: 0 });
    expect(await runtime.store.listIncidents()).toEqual([]);
    expect(await reconciler.runOnce()).toEqual({ ok: true, fed: 1 });
    const ids = await runtime.store.listIncidents();
    expect(ids).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/reconcile: 1 firing alert\(s\) of \{\}:\{alertname="PaymentSuccessRateLow"\} had no incident/);
    expect(await reconciler.runOnce()).toEqual({ ok: true, fed: 0 });
    expect(await runtime.store.listIncidents()).toEqual(ids);
    // the webhook that arrives late finds the incident by its alert, under Alertmanager's own group key
    // the webhook that arrives late, under a route's own group key, finds the incident by its alert
    const parsed = parseAlert(JSON.stringify(runtime.world!.alertPayload()));
    if (!parsed.ok) throw new Error(parsed.error);
    const late = await conversation.alertGroup({ key: '{}/{team="pay"}:{alertname="PaymentSuccessRateLow"}', status: 'firing', firing: parsed.alerts, resolved: [] });
    expect(late).toMatchObject({ kind: 'updated', incidentId: ids[0], joined: [] });
    // and its resolution closes it (after the investigation the reconcile started has finished)
    expect(await conversation.alertGroup({ key: '{}/{team="pay"}:{alertname="PaymentSuccessRateLow"}', status: 'resolved', firing: [], resolved: parsed.alerts })).toMatchObject({ kind: 'resolved', incidentId: ids[0] });
    expect(await runtime.store.get(ids[0]!, 'incident')).toMatchObject({ status: 'resolved' });
  });

  it('logs an unreadable Alertmanager once and backs off, then says when it answers again', async () => {
    const logs: string[] = [];
    const reconciler = createReconciler({ url, intervalMs: 1000, conversation, log: (l) => logs.push(l) });
    answer = { status: 500, body: { error: 'boom' } };
    const delays = [];
    for (let i = 0; i < 3; i++) delays.push((await reconciler.tick()).nextDelayMs);
    expect(delays).toEqual([2000, 4000, 8000]);
    answer = { status: 200, body: { not: 'a list' } };
    expect((await reconciler.tick()).report).toMatchObject({ ok: false, error: expect.stringMatching(/did not answer a list of alerts/) });
    expect(logs).toEqual([expect.stringMatching(/cannot read Alertmanager at .*: GET \/api\/v2\/alerts answered HTTP 500; retrying with back-off/)]);
    answer = { status: 200, body: [] };
    expect((await reconciler.tick()).nextDelayMs).toBe(1000);
    expect(logs.at(-1)).toMatch(/answers again/);
  });
});
