import { LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAdapter, type SlackAdapter } from '../src/bot/slack/app.js';
import { createServeRuntime, type ServeRuntime } from '../src/runtime.js';
import { createHttpServer, type HttpServer } from '../src/server/http.js';
import { sign, startFakeSlack } from './fake-slack.js';
import { highRiskRunbooks, testConfig } from './helpers.js';

/**
 * Decisions on Slack as people make them: buttons and thread commands, through the one approval authority (the core's
 * per-risk policy), against a local stand-in of the Web API.
 */
let api: Awaited<ReturnType<typeof startFakeSlack>>;
beforeAll(async () => {
  api = await startFakeSlack();
});
afterAll(async () => api?.close());

interface Bot {
  runtime: ServeRuntime;
  adapter: SlackAdapter;
  server: HttpServer;
  close(): Promise<void>;
}

async function startBot(env: Record<string, string>): Promise<Bot> {
  const config = await testConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-signing-secret', SLACK_API_URL: `${api.url}/api/`, SLACK_ALERT_CHANNELS: 'CALERTS', PORT: '0', ...env });
  const runtime = await createServeRuntime({ config, seed: 5 });
  const adapter = createSlackAdapter({ slack: config.slack!, runtime, log: () => undefined, logLevel: LogLevel.ERROR, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 } });
  await adapter.start();
  const server = await createHttpServer({ port: 0, host: '127.0.0.1', version: 'test', routes: [{ method: 'POST', path: '/slack/events', handle: adapter.handleHttp! }], log: () => undefined });
  return {
    runtime,
    adapter,
    server,
    close: async () => {
      await server.close(0);
      await adapter.stop();
      await runtime.close();
    },
  };
}

let seq = 0;
const send = (bot: Bot, body: string, type: string) => fetch(`${bot.server.url}/slack/events`, { method: 'POST', body, headers: { 'Content-Type': type, ...sign(body) } });
const postEvent = (bot: Bot, event: Record<string, unknown>) =>
  send(bot, JSON.stringify({ type: 'event_callback', team_id: 'T1', api_app_id: 'A1', event_id: `EvA${++seq}`, event_time: 1, authorizations: [{ user_id: 'UBOT', is_bot: true, team_id: 'T1' }], event }), 'application/json');
function click(bot: Bot, user: string, value: string, ts: string, threadTs: string, blocks: unknown[]) {
  const payload = { type: 'block_actions', team: { id: 'T1' }, user: { id: user }, api_app_id: 'A1', token: 'x', trigger_id: 't', channel: { id: 'CALERTS' }, message: { ts, thread_ts: threadTs, type: 'message', text: 'plan', blocks }, actions: [{ type: 'button', action_id: value.split(':')[0], block_id: 'b', value, action_ts: '1' }] };
  return send(bot, `payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
}
const posts = (threadTs: string) => api.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.params.thread_ts === threadTs);
const lastEphemeral = (user: string) => String(api.calls.filter((c) => c.method === 'chat.postEphemeral' && c.params.user === user).at(-1)?.params.text ?? '');
const lastUpdateOf = (ts: string) => api.calls.filter((c) => c.method === 'chat.update' && c.params.ts === ts).at(-1)?.params as { blocks: { type: string; elements?: { text?: string }[] }[] } | undefined;

/**
 * Posts the scenario's alert in the alert channel and returns the plan message's button value, ts and blocks. `episode`
 * moves its start time, so that it is a new firing of the alert rather than a repeat of the open one.
 */
async function alertAndPlan(bot: Bot, ts: string, episode = 0) {
  const payload = bot.runtime.world!.alertPayload() as { alerts: { startsAt: string }[] };
  for (const a of payload.alerts) a.startsAt = new Date(Date.parse(a.startsAt) + episode * 60_000).toISOString();
  const text = JSON.stringify(payload);
  expect((await postEvent(bot, { type: 'message', user: 'UAM', text, ts, channel: 'CALERTS', event_ts: ts })).status).toBe(200);
  await bot.adapter.idle();
  const plan = posts(ts).find((c) => JSON.stringify(c.params.blocks ?? []).includes('"actions"'))!;
  const blocks = plan.params.blocks as { type: string; elements?: { value: string }[] }[];
  const value = blocks.find((b) => b.type === 'actions')!.elements![0]!.value;
  return { value, ts: plan.ts!, thread: ts, blocks, incidentId: bot.adapter.conversation.incidentIdFor({ channel: 'slack', threadId: `CALERTS/${ts}` })! };
}

const auditOf = async (bot: Bot, incidentId: string) => (await bot.runtime.store.listAudit({ incidentId })).map((e) => `${e.type}:${e.actor}`);

describe('a high-risk plan on Slack', () => {
  let bot: Bot;
  beforeAll(async () => {
    bot = await startBot({ SLACK_APPROVERS: 'UALICE,UBOB', SRE_COPILOT_RUNBOOKS: await highRiskRunbooks() });
  });
  afterAll(async () => bot?.close());

  // the plans below are left undecided or rejected, so the scenario world is still broken for the last one
  it('audits a click whose value was tampered with, and a value it cannot read, and runs nothing', async () => {
    const plan = await alertAndPlan(bot, '1700000200.000100', 1);
    const [verb, planId] = plan.value.split(':');
    await click(bot, 'UALICE', `${verb}:${planId}:${'f'.repeat(16)}`, plan.ts, plan.thread, plan.blocks);
    await click(bot, 'UALICE', 'approve:rm -rf /:now:please', plan.ts, plan.thread, plan.blocks);
    await bot.adapter.idle();
    expect(lastEphemeral('UALICE')).toMatch(/Nothing was executed/);
    const refused = (await bot.runtime.store.listAudit()).filter((e) => e.type === 'refused' && e.actor === 'UALICE').map((e) => e.detail);
    expect(refused).toEqual(expect.arrayContaining([expect.stringMatching(/does not match the plan as proposed/), expect.stringMatching(/unreadable button value/)]));
    expect(bot.adapter.copilot.session(plan.incidentId)!.execution).toBeNull();
  });

  it('rejects on an explicit command in the thread, with the reason said there', async () => {
    const plan = await alertAndPlan(bot, '1700000300.000100', 2);
    await postEvent(bot, { type: 'app_mention', user: 'UBOB', text: '<@UBOT> reject: the rollback would drop the warm cache', ts: '1700000300.000900', thread_ts: plan.thread, channel: 'CALERTS' });
    await bot.adapter.idle();
    expect(bot.adapter.copilot.session(plan.incidentId)!.approval).toMatchObject({ decision: 'rejected', actor: 'UBOB' });
    expect(posts(plan.thread).map((c) => String(c.params.text)).join('\n')).toMatch(/Reason given by UBOB: the rollback would drop the warm cache/);
  });

  it('keeps its buttons after the first approval, refuses the same person twice, and runs on the second distinct approver', async () => {
    const plan = await alertAndPlan(bot, '1700000100.000100');
    expect(bot.adapter.copilot.session(plan.incidentId)!.result.plan!.risk).toBe('high');

    // words in a sentence never decide: "stop" is not a rejection
    await postEvent(bot, { type: 'app_mention', user: 'UALICE', text: '<@UBOT> stop the bleeding please, what now?', ts: '1700000100.000900', thread_ts: plan.thread, channel: 'CALERTS' });
    await bot.adapter.idle();
    expect(bot.adapter.copilot.session(plan.incidentId)!.approval).toBeNull();

    await click(bot, 'UALICE', plan.value, plan.ts, plan.thread, plan.blocks);
    await bot.adapter.idle();
    const pending = lastUpdateOf(plan.ts)!;
    expect(pending.blocks.some((b) => b.type === 'actions')).toBe(true); // the second approver still has the buttons
    expect(JSON.stringify(pending.blocks)).toMatch(/1 of 2 approvals \(<@UALICE>\) — waiting for a second approver/);
    expect(bot.adapter.copilot.session(plan.incidentId)!.execution).toBeNull();

    await click(bot, 'UALICE', plan.value, plan.ts, plan.thread, pending.blocks);
    await bot.adapter.idle();
    expect(lastEphemeral('UALICE')).toMatch(/UALICE already approved this plan; a high-risk plan needs 2 distinct approvers/);
    expect(bot.adapter.copilot.session(plan.incidentId)!.execution).toBeNull();

    await click(bot, 'UBOB', plan.value, plan.ts, plan.thread, pending.blocks);
    await bot.adapter.idle();
    expect(bot.adapter.copilot.session(plan.incidentId)!.execution?.status).toBe('succeeded');
    const settled = lastUpdateOf(plan.ts)!;
    expect(settled.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(settled.blocks)).toMatch(/Approved by <@UALICE> and <@UBOB>/);
    expect(await auditOf(bot, plan.incidentId)).toEqual(['proposed:sre-copilot', 'approved:UALICE', 'refused:UALICE', 'approved:UBOB', 'executed:UBOB', 'verified:sre-copilot']);
  });
});

describe('one approval authority on Slack', () => {
  let bot: Bot;
  beforeAll(async () => {
    // the per-risk list wins over the platform list for that risk (the bad-deploy rollback is medium risk)
    bot = await startBot({ SLACK_APPROVERS: 'U1', SRE_COPILOT_APPROVERS_MEDIUM: 'U7' });
  });
  afterAll(async () => bot?.close());

  it('lets the medium-risk approver decide and refuses the platform list, with the refusal audited', async () => {
    const plan = await alertAndPlan(bot, '1700000400.000100');
    await click(bot, 'U1', plan.value, plan.ts, plan.thread, plan.blocks);
    await bot.adapter.idle();
    expect(lastEphemeral('U1')).toMatch(/U1 may not approve this medium-risk plan; approvers: U7/);
    await click(bot, 'U7', plan.value, plan.ts, plan.thread, plan.blocks);
    await bot.adapter.idle();
    expect(bot.adapter.copilot.session(plan.incidentId)!.execution?.status).toBe('succeeded');
    expect(await auditOf(bot, plan.incidentId)).toEqual(['proposed:sre-copilot', 'refused:U1', 'approved:U7', 'executed:U7', 'verified:sre-copilot']);
  });

  it('answers status in a thread about that thread’s incident, and keeps one incident for an alert posted twice', async () => {
    const first = bot.adapter.conversation.incidentIdFor({ channel: 'slack', threadId: 'CALERTS/1700000400.000100' })!;
    const plain = 'CRITICAL: checkout-service error rate 12% (threshold 5%)';
    await postEvent(bot, { type: 'message', user: 'UX', text: plain, ts: '1700000500.000100', channel: 'CALERTS' });
    await bot.adapter.idle();
    await postEvent(bot, { type: 'message', user: 'UX', text: plain, ts: '1700000500.000200', channel: 'CALERTS' });
    await bot.adapter.idle();
    const second = bot.adapter.conversation.incidentIdFor({ channel: 'slack', threadId: 'CALERTS/1700000500.000100' })!;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(bot.adapter.conversation.incidentIdFor({ channel: 'slack', threadId: 'CALERTS/1700000500.000200' })).toBeUndefined();
    expect(posts('1700000500.000200').map((c) => String(c.params.text)).join('\n')).toMatch(new RegExp(`Handled in <#CALERTS>`));
    expect((await bot.runtime.store.listIncidents()).filter((id) => id === second)).toHaveLength(1);

    // the newest incident is `second`, but the first incident's thread asks about its own
    await postEvent(bot, { type: 'app_mention', user: 'UX', text: '<@UBOT> status', ts: '1700000400.000950', thread_ts: '1700000400.000100', channel: 'CALERTS' });
    await bot.adapter.idle();
    expect(String(posts('1700000400.000100').at(-1)!.params.text)).toMatch(new RegExp(`^${first} — `));
  });
});
