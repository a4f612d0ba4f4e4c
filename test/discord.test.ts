import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Events, MessageFlags, REST } from 'discord.js';
import { rolesOf } from '../src/bot/discord/bot.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseModel } from '../src/agents/model.js';
import { buildExperts } from '../src/agents/registry.js';
import type { DiscordConfig } from '../src/config.js';
import { Copilot } from '../src/copilot/copilot.js';
import {
  handleButton,
  handleCommand,
  handleMessage,
  registerCommands,
  startDiscord,
  type ButtonInteractionLike,
  type CommandInteractionLike,
  type DiscordBot,
  type DiscordChannel,
  type MessageLike,
} from '../src/bot/discord/index.js';
import { loadRunbooks } from '../src/knowledge/runbooks.js';
import { createScenarioExecutor } from '../src/remediation/executors/scenario.js';
import { createScenarioRuntime, DETERMINISTIC_AUTHOR, type ScenarioRuntime } from '../src/runtime.js';
import { highRiskRunbooks, testConfig } from './helpers.js';

/** A local stand-in for Discord's REST API: answers what the channel calls and records every call. */
interface ApiCall {
  method: string;
  route: string;
  body: Record<string, unknown> | null;
  files: string[];
}
class FakeDiscordApi {
  readonly calls: ApiCall[] = [];
  private server!: Server;
  private next = 5000;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        (json) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: err.message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    let body: Record<string, unknown> | null = null;
    let files: string[] = [];
    if (type.startsWith('application/json')) body = JSON.parse(raw) as Record<string, unknown>;
    else if (type.startsWith('multipart/form-data')) {
      const payload = /name="payload_json"(?:\r\nContent-Type: [^\r]*)?\r\n\r\n([\s\S]*?)\r\n--/.exec(raw)?.[1];
      body = payload ? (JSON.parse(payload) as Record<string, unknown>) : null;
      files = [...raw.matchAll(/filename="([^"]+)"/g)].map((m) => m[1]!);
    }
    const route = (req.url ?? '').replace(/^\/api\/v\d+/, '');
    this.calls.push({ method: req.method ?? '', route, body, files });
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(route))) return { id: String(this.next++), type: 11, parent_id: m[1] };
    if (req.method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(route))) return { id: String(this.next++), channel_id: m[1] };
    if (req.method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(route))) return { id: m[2], channel_id: m[1] };
    if (req.method === 'PUT') return body ?? [];
    throw new Error(`unexpected ${req.method} ${route}`);
  }

  /** bodies of the messages posted to one channel or thread */
  postedTo(channelId: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === 'POST' && c.route === `/channels/${channelId}/messages`).map((c) => c.body ?? {});
  }
}

const ALERTS = '100';
const ALICE = '200';
const MALLORY = '300';
const BOB = '400';
const ONCALL_ROLE = '900';

const api = new FakeDiscordApi();
beforeAll(() => api.start());
afterAll(() => api.stop());

interface Harness {
  bot: DiscordBot;
  runtime: ScenarioRuntime;
  logs: string[];
}

/** startDiscord without a gateway: its Client's REST points at the local stand-in, the Copilot runs over the scenario world. */
async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const config = await testConfig({
    DISCORD_TOKEN: 'test-token',
    DISCORD_ALERT_CHANNELS: ALERTS,
    DISCORD_APPROVERS: `${ALICE},${ONCALL_ROLE}`,
    DISCORD_API_URL: api.url,
    ...env,
  });
  let runtime!: ScenarioRuntime;
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const bot = await startDiscord({
    config: config.discord!,
    login: false,
    log,
    audit: { appendAudit: (e) => runtime.store.appendAudit(e) },
    now: () => runtime.world.now(),
    knownServices: async () => (await runtime.connectors.cmdb.snapshot()).services.map((s) => s.name),
    makeCopilot: async (channel, auth) => {
      runtime = await createScenarioRuntime({ config, scenario: 'bad-deploy-payment', seed: 3, channel });
      // createScenarioRuntime has no Discord approver options yet: the same parts, plus the Discord approvers
      return new Copilot({
        config,
        store: runtime.store,
        connectors: runtime.connectors,
        experts: buildExperts(runtime.connectors, chooseModel(config.llm)).map((e) => e.runner),
        channel,
        executor: createScenarioExecutor(runtime.world),
        runbooks: await loadRunbooks(config.runbooksDir),
        clock: { now: () => runtime.world.now(), wait: (minutes) => runtime.world.advance(minutes) },
        author: DETERMINISTIC_AUTHOR,
        ...auth,
      });
    },
  });
  return { bot, runtime, logs };
}

let nextMessage = 1;
function message(channel: DiscordChannel, over: Partial<MessageLike> & { content: string }) {
  const replies: string[] = [];
  const threads: string[] = [];
  const m: MessageLike = {
    id: String(nextMessage++),
    channelId: ALERTS,
    author: { id: BOB, bot: false },
    mentionsBot: false,
    reply: async (content) => replies.push(content),
    startThread: async (o) => {
      const id = await channel.openThread(m.channelId, m.id, o.name);
      threads.push(id);
      return { id };
    },
    ...over,
  };
  return { m, replies, threads };
}

function click(customId: string, user: string, roles: string[] = []) {
  const followUps: { content: string; ephemeral?: boolean }[] = [];
  const events: string[] = [];
  const i: ButtonInteractionLike = {
    customId,
    channelId: null,
    user: { id: user },
    memberRoles: roles,
    deferUpdate: async () => events.push('deferUpdate'),
    followUp: async (o) => followUps.push(o),
    editMessage: async () => events.push('buttons removed'),
  };
  return { i, followUps, events };
}

function approveButton(posted: Record<string, unknown>[]): string {
  const withButtons = posted.find((b) => Array.isArray(b['components']) && (b['components'] as unknown[]).length > 0);
  const row = (withButtons?.['components'] as { components: { custom_id: string; label: string; style: number }[] }[])[0]!;
  expect(row.components.map((c) => [c.label, c.style])).toEqual([
    ['Approve', 3],
    ['Reject', 4],
    ['Dry run', 2],
  ]);
  return row.components[0]!.custom_id;
}

async function audit(h: Harness, incidentId: string): Promise<string[]> {
  return (await h.runtime.store.listAudit({ incidentId })).map((e) => `${e.type}:${e.actor}`);
}

describe('the Discord bot (offline: handlers with fakes, REST through a local stand-in)', () => {
  it('answers a mention with a threaded diagnosis; refuses a non-approver; executes once for an approver by user id', async () => {
    const h = await harness();
    try {
      const { m, threads } = message(h.bot.channel, { content: '<@1> why is payment failing?', mentionsBot: true, channelId: '555' });
      expect(await handleMessage(h.bot.context, m)).toBe('question');
      expect(threads).toHaveLength(1);
      const thread = threads[0]!;
      expect(api.calls.some((c) => c.method === 'POST' && c.route === `/channels/555/messages/${m.id}/threads`)).toBe(true);
      const posted = api.postedTo(thread);
      const titles = posted.flatMap((b) => ((b['embeds'] as { title?: string }[] | undefined) ?? []).map((e) => e.title ?? ''));
      expect(titles.some((t) => t.includes('Ranked root-cause hypotheses'))).toBe(true);
      expect(titles.some((t) => t.startsWith('🛠️ Proposed fix'))).toBe(true);
      expect(posted.every((b) => JSON.stringify(b['allowed_mentions']) === '{"parse":[]}')).toBe(true);
      expect(api.calls.some((c) => c.method === 'PATCH' && c.route.startsWith(`/channels/${thread}/messages/`))).toBe(true); // progress edits
      expect(api.calls.some((c) => c.route === `/channels/${thread}/messages` && c.files.some((f) => f.endsWith('.md')))).toBe(true); // report file
      const customId = approveButton(posted);
      expect(customId.length).toBeLessThanOrEqual(100);
      expect(h.logs.filter((l) => /failed|not sent|plain text/.test(l))).toEqual([]); // no fallbacks: Discord took the rich messages
      const incidentId = h.bot.context.incidents[0]!.id;

      const dry = click(customId.replace(/^approve:/, 'dryrun:'), MALLORY);
      expect(await handleButton(h.bot.context, dry.i)).toBe('decided');
      expect(api.postedTo(thread).map((b) => JSON.stringify(b)).join('\n')).toMatch(/Dry run with the scenario executor \(nothing was executed\)/);
      expect(h.bot.copilot.session(incidentId)!.execution).toBeNull();

      const refused = click(customId, MALLORY, ['123']);
      expect(await handleButton(h.bot.context, refused.i)).toBe('refused');
      expect(refused.events[0]).toBe('deferUpdate');
      expect(refused.followUps).toEqual([{ content: expect.stringMatching(/300 may not approve this medium-risk plan; approvers: 200, 900/), ephemeral: true }]);
      expect(await audit(h, incidentId)).not.toContain(`executed:${MALLORY}`);
      expect(h.bot.copilot.session(incidentId)!.execution).toBeNull();

      const ok = click(customId, ALICE);
      expect(await handleButton(h.bot.context, ok.i)).toBe('decided');
      expect(ok.events).toEqual(['deferUpdate', 'buttons removed']);
      expect(h.bot.copilot.session(incidentId)!.execution?.status).toBe('succeeded');
      const again = click(customId, ALICE);
      expect(await handleButton(h.bot.context, again.i)).toBe('refused');
      expect(again.followUps[0]).toMatchObject({ content: expect.stringMatching(/already approved/), ephemeral: true });
      const rollback = click(customId.replace(/^approve:/, 'rollback:'), ALICE);
      expect(await handleButton(h.bot.context, rollback.i)).toBe('refused');
      expect(rollback.followUps[0]).toMatchObject({ content: expect.stringMatching(/no step failed/), ephemeral: true });
      const trail = await audit(h, incidentId);
      expect(trail).toEqual(['proposed:sre-copilot', `refused:${MALLORY}`, `approved:${ALICE}`, `executed:${ALICE}`, 'verified:sre-copilot', `refused:${ALICE}`, `refused:${ALICE}`]);
    } finally {
      await h.bot.stop();
      await h.runtime.close();
    }
  });

  it('opens an incident from an alert posted in an alert channel; a member holding an approver role executes it', async () => {
    const h = await harness();
    try {
      const { m, threads, replies } = message(h.bot.channel, { content: JSON.stringify(h.runtime.world.alertPayload()), author: { id: '77', bot: true }, webhookId: '88' });
      expect(await handleMessage(h.bot.context, m)).toBe('alert');
      expect(replies).toEqual([]);
      const thread = threads[0]!;
      const posted = api.postedTo(thread);
      expect((posted[0]!['content'] as string).startsWith('🚨')).toBe(true);
      const incidentId = h.bot.context.incidents[0]!.id;
      expect(await h.runtime.store.listIncidents()).toHaveLength(1);

      const byRole = click(approveButton(posted), BOB, [ONCALL_ROLE]);
      expect(await handleButton(h.bot.context, byRole.i)).toBe('decided');
      const twice = click(approveButton(posted), BOB, [ONCALL_ROLE]);
      expect(await handleButton(h.bot.context, twice.i)).toBe('refused');
      expect((await audit(h, incidentId)).filter((t) => t.startsWith('executed:'))).toEqual([`executed:${BOB}`]);
      expect(api.postedTo(thread).some((b) => String(b['content'] ?? '').includes(`Approved by ${BOB}`))).toBe(true);
    } finally {
      await h.bot.stop();
      await h.runtime.close();
    }
  });

  it('keeps the buttons of a high-risk plan after the first approval and runs it on a second, different approver', async () => {
    const h = await harness({ SRE_COPILOT_RUNBOOKS: await highRiskRunbooks() });
    try {
      const { m, threads } = message(h.bot.channel, { content: JSON.stringify(h.runtime.world.alertPayload()), author: { id: '77', bot: true }, webhookId: '88' });
      expect(await handleMessage(h.bot.context, m)).toBe('alert');
      const thread = threads[0]!;
      const incidentId = h.bot.context.incidents[0]!.id;
      expect(h.bot.copilot.session(incidentId)!.result.plan!.risk).toBe('high');
      const button = approveButton(api.postedTo(thread));

      const first = click(button, ALICE);
      expect(await handleButton(h.bot.context, first.i)).toBe('decided');
      expect(first.events).toEqual(['deferUpdate']); // the buttons stay for the second approver
      expect(h.bot.copilot.session(incidentId)!.execution).toBeNull();
      expect(api.postedTo(thread).map((b) => JSON.stringify(b)).join('\n')).toMatch(/Approved by 200 \(1 of 2\)/);

      const again = click(button, ALICE);
      expect(await handleButton(h.bot.context, again.i)).toBe('refused');
      expect(again.followUps[0]).toMatchObject({ content: expect.stringMatching(/200 already approved this plan; a high-risk plan needs 2 distinct approvers/), ephemeral: true });

      const second = click(button, BOB, [ONCALL_ROLE]);
      expect(await handleButton(h.bot.context, second.i)).toBe('decided');
      expect(second.events).toEqual(['deferUpdate', 'buttons removed']);
      expect(h.bot.copilot.session(incidentId)!.execution?.status).toBe('succeeded');
      expect(await audit(h, incidentId)).toEqual(['proposed:sre-copilot', `approved:${ALICE}`, `refused:${ALICE}`, `approved:${BOB}`, `executed:${BOB}`, 'verified:sre-copilot']);
    } finally {
      await h.bot.stop();
      await h.runtime.close();
    }
  });

  it('answers a malformed alert clearly, ignores chatter, survives a failing handler, and keeps going', async () => {
    const h = await harness();
    try {
      const bad = message(h.bot.channel, { content: '{"alerts": [ {"labels": ' });
      expect(await handleMessage(h.bot.context, bad.m)).toBe('replied');
      expect(bad.replies[0]).toMatch(/could not read that alert: alert JSON is malformed/);
      expect(bad.threads).toEqual([]);
      expect(await h.runtime.store.listIncidents()).toEqual([]);

      const chatter = message(h.bot.channel, { content: 'coffee anyone?' });
      expect(await handleMessage(h.bot.context, chatter.m)).toBe('ignored');
      expect(chatter.replies).toEqual([]);

      const broken = message(h.bot.channel, { content: '<@1> why is payment failing?', mentionsBot: true });
      broken.m.startThread = async () => {
        throw new Error('Missing Permissions');
      };
      expect(await handleMessage(h.bot.context, broken.m)).toBe('error');
      expect(broken.replies[0]).toMatch(/Something went wrong: Missing Permissions/);
      expect(h.logs.some((l) => l.includes('Missing Permissions'))).toBe(true);

      const unknownButton = click('approve:plan-nope:0123456789abcdef', ALICE);
      expect(await handleButton(h.bot.context, unknownButton.i)).toBe('refused');
      expect(unknownButton.followUps[0]).toMatchObject({ content: expect.stringMatching(/no longer awaiting/), ephemeral: true });

      const status = command('status');
      expect(await handleCommand(h.bot.context, status.i)).toBe('answered');
      expect(status.replies[0]).toMatch(/No incident is open/);
      expect(status.deferred).toEqual([true]); // ephemeral
      const kb = command('kb', { question: 'rollback a bad deploy' });
      expect(await handleCommand(h.bot.context, kb.i)).toBe('answered');
      // this bot was assembled without a knowledge base: the runbooks that mention the words, and it says so
      expect(kb.replies[0]).toMatch(/^The knowledge base is not available here\. Runbooks that mention it:\n• /);

      const diagnose = command('diagnose', { service: 'payment-service' });
      expect(await handleCommand(h.bot.context, diagnose.i)).toBe('answered');
      expect(diagnose.replies[0]).toMatch(/Diagnosing payment-service/);
      expect(diagnose.deferred).toEqual([false]); // public: the thread hangs off it
      const asked = h.bot.context.incidents.at(-1)!;
      expect(api.calls.some((c) => c.method === 'POST' && /^\/channels\/100\/messages\/\d+\/threads$/.test(c.route) && c.body?.['name'] === '🔎 diagnose payment-service')).toBe(true);
      const rejected = click(approveButton(api.postedTo(asked.threadId)).replace(/^approve:/, 'reject:'), ALICE);
      expect(await handleButton(h.bot.context, rejected.i)).toBe('decided');
      expect(await audit(h, asked.id)).toEqual(['proposed:sre-copilot', `rejected:${ALICE}`]);

      const good = message(h.bot.channel, { content: JSON.stringify(h.runtime.world.alertPayload()) });
      expect(await handleMessage(h.bot.context, good.m)).toBe('alert');
      const repeat = message(h.bot.channel, { content: JSON.stringify(h.runtime.world.alertPayload()) });
      expect(await handleMessage(h.bot.context, repeat.m)).toBe('replied'); // Alertmanager's repeat: the same incident
      expect(repeat.replies[0]).toMatch(new RegExp(`already being handled as ${h.bot.context.incidents.find((i) => i.threadId === good.threads[0])!.id} in <#${good.threads[0]}>`));
      expect(repeat.threads).toEqual([]);
      const report = command('report');
      expect(await handleCommand(h.bot.context, report.i)).toBe('answered');
      expect(report.replies[0]).toMatch(/Markdown report is attached/);
      expect(report.files[0]?.[0]?.attachment).toMatch(/\.md$/);
    } finally {
      await h.bot.stop();
      await h.runtime.close();
    }
  });

  it("reads a member's roles from an interaction, cached or raw", () => {
    expect(rolesOf({ roles: ['1', '2'] })).toEqual(['1', '2']);
    expect(rolesOf({ roles: { cache: new Map([['3', {}]]) } })).toEqual(['3']);
    expect(rolesOf(null)).toEqual([]);
  });

  it('wires the discord.js client: a button interaction reaches the handler through the adapter', async () => {
    const h = await harness();
    try {
      const calls: unknown[] = [];
      const interaction = {
        isButton: () => true,
        isChatInputCommand: () => false,
        customId: 'approve:plan-x:0123456789abcdef',
        channelId: '555',
        user: { id: MALLORY, username: 'mallory' },
        member: { roles: [ONCALL_ROLE] },
        deferUpdate: async () => calls.push('deferUpdate'),
        followUp: async (o: unknown) => calls.push(o),
        editReply: async (o: unknown) => calls.push(o),
      };
      h.bot.client.emit(Events.InteractionCreate, interaction as never);
      await expect.poll(() => calls.length).toBe(2);
      expect(calls[0]).toBe('deferUpdate');
      expect(calls[1]).toMatchObject({ content: expect.stringMatching(/no longer awaiting/), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    } finally {
      await h.bot.stop();
      await h.runtime.close();
    }
  });

  it('registers /sre through REST', async () => {
    const rest = new REST({ api: api.url }).setToken('test-token');
    await registerCommands(rest, '4242');
    const put = api.calls.find((c) => c.method === 'PUT' && c.route === '/applications/4242/commands');
    expect((put?.body as unknown as { name: string; options: { name: string }[] }[])[0]).toMatchObject({ name: 'sre' });
    expect((put?.body as unknown as { options: { name: string }[] }[])[0]!.options.map((o) => o.name)).toEqual(['diagnose', 'status', 'kb', 'report']);
  });
});

function command(subcommand: string, strings: Record<string, string> = {}) {
  const replies: string[] = [];
  const files: ({ attachment: string; name: string }[] | undefined)[] = [];
  const deferred: boolean[] = [];
  const i: CommandInteractionLike = {
    commandName: 'sre',
    subcommand,
    getString: (name) => strings[name] ?? null,
    channelId: ALERTS,
    user: { id: BOB },
    deferReply: async (o) => {
      deferred.push(o?.ephemeral === true);
    },
    editReply: async (o) => {
      replies.push(o.content);
      files.push(o.files);
      return { id: String(nextMessage++) };
    },
  };
  return { i, replies, files, deferred };
}
