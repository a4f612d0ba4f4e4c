import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { LogLevel } from '@slack/bolt';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter, type SlackAdapter } from '../src/bot/slack/app.js';
import { formatStatusTable, planAdapters } from '../src/cli/serve.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { createHttpServer, type HttpServer } from '../src/server/http.js';
import { blockActionsPayload } from '../src/bench/slack-recorder.js';
import { SECRET, sign, startFakeSlack } from './fake-slack.js';
import { testConfig } from './helpers.js';


let api: Awaited<ReturnType<typeof startFakeSlack>>;
let runtime: ServeRuntime;
let adapter: SlackAdapter;
let server: HttpServer;
let base: string;

async function send(body: string, contentType: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/slack/events`, { method: 'POST', body, headers: { 'Content-Type': contentType, ...sign(body), ...headers } });
}

let eventSeq = 0;
function eventBody(event: Record<string, unknown>, eventId = `Ev${++eventSeq}`) {
  return JSON.stringify({ type: 'event_callback', token: 'x', team_id: 'T1', api_app_id: 'A1', event_id: eventId, event_time: 1, authorizations: [{ user_id: 'UBOT', is_bot: true, team_id: 'T1' }], event });
}
const postEvent = (event: Record<string, unknown>, eventId?: string, headers?: Record<string, string>) => send(eventBody(event, eventId), 'application/json', headers);

function clickBody(user: string, value: string, message: { ts: string; thread_ts: string }) {
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'plan' } }, { type: 'actions', elements: [] }];
  const payload = blockActionsPayload({ user, value, ts: message.ts, threadTs: message.thread_ts, blocks, responseUrl: `${api.url}/response` });
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
const click = (user: string, value: string, message: { ts: string; thread_ts: string }) => send(clickBody(user, value, message), 'application/x-www-form-urlencoded');

const posts = (threadTs: string) => api.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.params.thread_ts === threadTs);

beforeAll(async () => {
  api = await startFakeSlack();
  const config = await testConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${api.url}/api/`,
    SLACK_ALERT_CHANNELS: 'CALERTS',
    SLACK_APPROVERS: 'UALICE,SOPS',
    PORT: '0',
  });
  runtime = await createServeRuntime({ config, seed: 3 });
  adapter = createSlackAdapter({ slack: config.slack!, runtime, log: () => undefined, logLevel: LogLevel.ERROR, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 } });
  await adapter.start();
  server = await createHttpServer({ port: 0, host: '127.0.0.1', version: 'test', routes: [{ method: 'POST', path: '/slack/events', handle: adapter.handleHttp! }], log: () => undefined });
  base = server.url;
});

afterAll(async () => {
  await server?.close(0);
  await adapter?.stop();
  await runtime?.close();
  await api?.close();
});

describe('the Slack adapter over HTTP', () => {
  let plan: { value: string; ts: string; thread: string } | null = null;
  let incidentId = '';

  it('answers a mention with a threaded diagnosis ending in a plan with Approve/Reject buttons', async () => {
    const res = await postEvent({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> why is checkout failing?', ts: '1699999999.000100', channel: 'CSRE', event_ts: '1699999999.000100' });
    expect(res.status).toBe(200);
    await adapter.idle();
    const thread = posts('1699999999.000100');
    expect(thread.length).toBeGreaterThan(5);
    expect(thread.every((c) => c.params.channel === 'CSRE')).toBe(true);
    const withButtons = thread.find((c) => JSON.stringify(c.params.blocks ?? []).includes('"actions"'));
    const actions = (withButtons!.params.blocks as { type: string; elements?: { action_id: string; style?: string; value: string }[] }[]).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => [e.action_id, e.style])).toEqual([['approve', 'primary'], ['reject', 'danger'], ['dryrun', undefined]]);
    expect(actions.elements![0]!.value).toMatch(/^approve:[^:]+:[0-9a-f]+$/);
    expect(api.calls.some((c) => c.method === 'chat.update')).toBe(true); // progress updated in place
    expect(api.calls.some((c) => c.method === 'files.completeUploadExternal' && c.params.thread_ts === '1699999999.000100')).toBe(true);
  });

  it('points a repeated alert at the thread already handling it', async () => {
    const text = JSON.stringify(runtime.world!.alertPayload()).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    await postEvent({ type: 'message', user: 'UALERTMGR', text, ts: '1699999999.000150', channel: 'CALERTS', event_ts: '1699999999.000150' });
    await adapter.idle();
    const replies = posts('1699999999.000150');
    expect(replies).toHaveLength(1);
    expect(String(replies[0]!.params.text)).toMatch(/most likely .* Handled in <#CSRE>/);
  });

  it('opens an incident for an Alertmanager alert posted in a watched channel, threaded under it', async () => {
    const payload = runtime.world!.alertPayload() as { alerts: { startsAt: string }[] };
    const later = new Date(Date.parse(payload.alerts[0]!.startsAt) + 60_000).toISOString();
    const text = JSON.stringify({ ...payload, alerts: payload.alerts.map((a) => ({ ...a, startsAt: later })) }).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const res = await postEvent({ type: 'message', user: 'UALERTMGR', text, ts: '1699999999.000200', channel: 'CALERTS', channel_type: 'channel', event_ts: '1699999999.000200' });
    expect(res.status).toBe(200);
    await adapter.idle();
    expect(adapter.copilot.latest!.incident.thread).toEqual({ channel: 'slack', threadId: 'CALERTS/1699999999.000200' });
    expect(await runtime.store.get(adapter.copilot.latest!.incident.id, 'incident')).toBeTruthy();
    const thread = posts('1699999999.000200');
    expect(thread[0]!.params.text).toMatch(/🚨/);
    const withButtons = thread.find((c) => JSON.stringify(c.params.blocks ?? []).includes('"actions"'))!;
    const value = (withButtons.params.blocks as { type: string; elements?: { value: string }[] }[]).find((b) => b.type === 'actions')!.elements![0]!.value;
    plan = { value, ts: withButtons.ts!, thread: '1699999999.000200' };
    incidentId = adapter.copilot.latest!.incident.id;
  });

  it('answers a malformed alert in a watched channel with a threaded error and ignores chatter', async () => {
    await postEvent({ type: 'message', user: 'UX', text: '{"alerts": [ {"labels": ', ts: '1699999999.000300', channel: 'CALERTS', event_ts: '1' });
    await postEvent({ type: 'message', user: 'UX', text: 'lunch anyone?', ts: '1699999999.000301', channel: 'CALERTS', event_ts: '2' });
    await adapter.idle();
    expect(posts('1699999999.000300').map((c) => c.params.text).join('\n')).toMatch(/could not read that alert/);
    expect(posts('1699999999.000301')).toEqual([]);
  });

  it('rejects a forged signature and a stale timestamp with 401', async () => {
    const body = eventBody({ type: 'app_mention', user: 'UX', text: '<@UBOT> status', ts: '1699999999.000400', channel: 'CSRE' });
    const forged = await fetch(`${base}/slack/events`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...sign(body, undefined, 'wrong-secret') } });
    expect(forged.status).toBe(401);
    const stale = await fetch(`${base}/slack/events`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...sign(body, Math.floor(Date.now() / 1000) - 600) } });
    expect(stale.status).toBe(401);
    await adapter.idle();
    expect(posts('1699999999.000400')).toEqual([]);
  });

  it('answers the Dry run button in the thread with pre-checks and what would run, and executes nothing', async () => {
    const dryValue = plan!.value.replace(/^approve:/, 'dryrun:');
    const before = await runtime.store.listAudit({ incidentId });
    const res = await click('UMALLORY', dryValue, { ts: plan!.ts, thread_ts: plan!.thread });
    expect(res.status).toBe(200);
    await adapter.idle();
    const text = posts(plan!.thread).map((c) => String(c.params.text)).join('\n');
    expect(text).toMatch(/Dry run with the scenario executor \(nothing was executed\)[\s\S]*\[dry-run\] would/);
    expect(text).toMatch(/pre-checks pass now/);
    expect(adapter.copilot.session(incidentId)!.execution).toBeNull();
    expect(await runtime.store.listAudit({ incidentId })).toEqual(before);
  });

  it('refuses an unauthorised approver ephemerally and executes nothing', async () => {
    const res = await click('UMALLORY', plan!.value, { ts: plan!.ts, thread_ts: plan!.thread });
    expect(res.status).toBe(200);
    await adapter.idle();
    const eph = api.calls.filter((c) => c.method === 'chat.postEphemeral');
    expect(eph.at(-1)!.params).toMatchObject({ user: 'UMALLORY', channel: 'CALERTS' });
    expect(String(eph.at(-1)!.params.text)).toMatch(/UMALLORY may not approve this .*-risk plan.*Nothing was executed/);
    const audit = (await runtime.store.listAudit({ incidentId })).map((e) => e.type);
    expect(audit).not.toContain('executed');
    expect(audit).toContain('refused');
    expect(adapter.copilot.session(incidentId)!.execution).toBeNull();
  });

  it('executes once for a member of an approver user group; a second click executes nothing', async () => {
    await click('UBOB', plan!.value, { ts: plan!.ts, thread_ts: plan!.thread });
    await adapter.idle();
    expect(api.calls.some((c) => c.method === 'usergroups.users.list' && c.params.usergroup === 'SOPS')).toBe(true);
    expect(adapter.copilot.session(incidentId)!.execution?.status).toBe('succeeded');
    const executed = async () => (await runtime.store.listAudit({ incidentId })).filter((e) => e.type === 'executed').length;
    const once = await executed();
    expect(once).toBeGreaterThan(0);
    expect(posts(plan!.thread).map((c) => c.params.text).join('\n')).toMatch(/Approved by UBOB/);
    await click('UALICE', plan!.value, { ts: plan!.ts, thread_ts: plan!.thread });
    await adapter.idle();
    expect(await executed()).toBe(once);
    expect(String(api.calls.filter((c) => c.method === 'chat.postEphemeral').at(-1)!.params.text)).toMatch(/already approved/);
  });

  it('answers /sre status, kb, report and diagnose', async () => {
    const sre = async (text: string) => {
      const body = new URLSearchParams({ token: 'x', team_id: 'T1', channel_id: 'CSRE', user_id: 'UALICE', command: '/sre', text, response_url: `${api.url}/response`, trigger_id: 't', api_app_id: 'A1' }).toString();
      const res = await send(body, 'application/x-www-form-urlencoded');
      expect(res.status).toBe(200);
      return ((await res.json()) as { text: string }).text;
    };
    expect(await sre('status')).toMatch(new RegExp(`${incidentId}.*(resolved|unresolved|mitigating)`));
    // answered from the knowledge base (the bundled runbooks), with the passage and its source
    expect(await sre('kb how do I roll back a bad deploy')).toMatch(/^From the knowledge base:\n📘 Errors after a deploy \(runbook, `[^`]*rb-bad-deploy\.md`\)\n> /);
    expect(await sre(`report ${incidentId}`)).toMatch(/\.md`/);
    expect(await sre('report INC-nope')).toMatch(/no incident INC-nope/);
    expect(await sre('')).toMatch(/diagnose <service>/);
    const before = api.calls.length;
    expect(await sre('diagnose payment')).toMatch(/Diagnosing payment/);
    await adapter.idle();
    const root = api.calls.slice(before).find((c) => c.method === 'chat.postMessage' && !c.params.thread_ts)!;
    expect(root.params).toMatchObject({ channel: 'CSRE', text: expect.stringMatching(/<@UALICE> asked me to diagnose payment/) });
    expect(posts(root.ts!).length).toBeGreaterThan(0);
  });

  it('answers "what changed" and unknown questions in the mention thread', async () => {
    await postEvent({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> what changed in the last 3 hours?', ts: '1699999999.000800', channel: 'CSRE' });
    await postEvent({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> sing me a song', ts: '1699999999.000801', channel: 'CSRE' });
    await adapter.idle();
    expect(String(posts('1699999999.000800')[0]?.params.text)).toMatch(/Changes in the last 180 minutes|No recorded changes/);
    expect(String(posts('1699999999.000801')[0]?.params.text)).toMatch(/I did not understand "sing me a song"[\s\S]*Ask me in an incident thread/);
  });

  it('drops repeated deliveries of an event it handled, but handles a retry of one it never received', async () => {
    const event = { type: 'app_mention', user: 'UALICE', text: '<@UBOT> status', ts: '1699999999.000500', channel: 'CSRE' };
    expect((await postEvent(event, 'EvDup')).status).toBe(200);
    expect((await postEvent(event, 'EvDup')).status).toBe(200);
    expect((await postEvent(event, 'EvDup', { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' })).status).toBe(200);
    const retried = { ...event, ts: '1699999999.000501' };
    expect((await postEvent(retried, 'EvOther', { 'X-Slack-Retry-Num': '2', 'X-Slack-Retry-Reason': 'http_timeout' })).status).toBe(200);
    await adapter.idle();
    expect(posts('1699999999.000500')).toHaveLength(1);
    // the first delivery may have been lost (or the process died before acknowledging it): the retry is the event
    expect(posts('1699999999.000501')).toHaveLength(1);
  });

  it('waits out a 429 with Retry-After and retries', async () => {
    api.rateLimitNext.set('chat.postMessage', 1);
    const started = Date.now();
    await postEvent({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> status', ts: '1699999999.000600', channel: 'CSRE' });
    await adapter.idle();
    const attempts = api.calls.filter((c) => c.method === 'chat.postMessage' && c.params.thread_ts === '1699999999.000600');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('sre-copilot serve', () => {
  it('reports which adapters run and why', async () => {
    const table = formatStatusTable(planAdapters(await testConfig()));
    expect(table).toMatch(/slack\s+disabled\s+SLACK_BOT_TOKEN is not set/);
    expect(table).toMatch(/console\s+enabled/);
    expect(table).toMatch(/executor\s+enabled\s+scenario; scripts: shell off; hooks: none; kubectl steps simulated by the world/);
    const real = formatStatusTable(planAdapters(await testConfig({ SRE_COPILOT_EXECUTOR: 'kubectl', SRE_COPILOT_KUBECTL_NAMESPACE: 'shop', SRE_COPILOT_HOOKS: 'purge=https://a.example/p' })));
    expect(real).toMatch(/executor\s+enabled\s+kubectl; scripts: shell off; hooks: purge; kubectl kubectl in namespace shop/);
    const withSlack = formatStatusTable(planAdapters(await testConfig({ SLACK_BOT_TOKEN: 'xoxb', SLACK_APP_TOKEN: 'xapp', SLACK_APPROVERS: 'U1' })));
    expect(withSlack).toMatch(/slack\s+enabled\s+Socket Mode.*approvers: U1/);
    expect(withSlack).toMatch(/console\s+disabled/);
    const withDiscord = formatStatusTable(planAdapters(await testConfig({ DISCORD_TOKEN: 'token', DISCORD_APPROVERS: 'R1' })));
    expect(withDiscord).toMatch(/discord\s+enabled\s+gateway bot.*approvers: R1.*\/sre not registered/);
    expect(withDiscord).toMatch(/console\s+disabled/);
  });

  it('serves Slack over HTTP and shuts down cleanly on SIGTERM', async () => {
    const home = (await testConfig()).home;
    const bin = fileURLToPath(new URL('../bin/sre-copilot', import.meta.url));
    const env = { ...process.env, SRE_COPILOT_HOME: home, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: `${api.url}/api/`, SLACK_APPROVERS: 'UALICE', PORT: '0', LLM_PROVIDER: 'none' };
    const child = spawn(bin, ['serve', '--seed', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on http:\/\/\S+:(\d+) [\s\S]*sre-copilot serve — /.exec(stderr); // listening, then started
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    expect(stderr).toMatch(/slack\s+enabled\s+HTTP mode/);
    const body = eventBody({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> status', ts: '1699999999.000900', channel: 'CSRE' });
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...sign(body) } });
    expect(res.status).toBe(200);
    for (let i = 0; i < 50 && posts('1699999999.000900').length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(String(posts('1699999999.000900')[0]?.params.text)).toMatch(/alert is firing/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM, shutting down/);
  }, 30_000);
});

describe('the Slack adapter in Socket Mode', () => {
  it('receives an event over the WebSocket, acks its envelope and answers in the thread', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    api.setSocketUrl(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`);
    const acks: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { envelope_id?: string };
        if (m.envelope_id) acks.push(m.envelope_id);
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'test' }, connection_info: { app_id: 'A1' } }));
      const payload = JSON.parse(eventBody({ type: 'app_mention', user: 'UALICE', text: '<@UBOT> status', ts: '1699999999.000700', channel: 'CSRE' })) as unknown;
      setTimeout(() => ws.send(JSON.stringify({ envelope_id: 'env-1', type: 'events_api', accepts_response_payload: false, retry_attempt: 0, retry_reason: '', payload })), 50);
    });
    const config = await testConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: `${api.url}/api/`, SLACK_APPROVERS: 'UALICE' });
    const socketRuntime = await createServeRuntime({ config, seed: 4 });
    const socket = createSlackAdapter({ slack: config.slack!, runtime: socketRuntime, log: () => undefined, logLevel: LogLevel.ERROR });
    try {
      expect(socket.mode).toBe('socket');
      await socket.start();
      for (let i = 0; i < 50 && posts('1699999999.000700').length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      await socket.idle();
      expect(acks).toContain('env-1');
      expect(String(posts('1699999999.000700')[0]?.params.text)).toMatch(/alert is firing/);
    } finally {
      await socket.stop();
      await socketRuntime.close();
      for (const c of wss.clients) c.close();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  }, 20_000);
});
