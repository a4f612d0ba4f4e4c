import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi, type BlockAction, type ButtonAction } from '@slack/bolt';
import { parseAlert } from '../../alerts/index.js';
import type { SlackConfig } from '../../config.js';
import type { Copilot, IncidentSession } from '../../copilot/copilot.js';
import { openIncident } from '../../copilot/incident.js';
import { remediationStage } from '../../copilot/status.js';
import type { ThreadRef } from '../../model/incident.js';
import { faultLabel } from '../../report/labels.js';
import type { ServeRuntime } from '../../runtime.js';
import { parseIntent, stripMention } from '../intents.js';
import * as msg from '../../chat/messages.js';
import { SlackChannel, encodeSlackRef } from './channel.js';

type AppType = App;
type WebClient = App['client'];

export interface SlackAdapterOptions {
  slack: SlackConfig;
  runtime: ServeRuntime;
  log?: (line: string) => void;
  /** Bolt's own log level (default warn) */
  logLevel?: LogLevel;
  /** WebClient retry policy; default: 5 retries, honouring Retry-After on HTTP 429 */
  retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number };
}

export interface SlackAdapter {
  readonly app: AppType;
  readonly copilot: Copilot;
  readonly channel: SlackChannel;
  readonly mode: 'http' | 'socket';
  /** HTTP mode: the port actually listened on (after start) */
  port(): number | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** resolves when every background job started so far (investigations, decisions) has finished */
  idle(): Promise<void>;
}

const HELP = [
  'Mention me or use `/sre`:',
  '• `diagnose <service>` (or "why is checkout failing?") — investigate the firing alert in this thread',
  '• `status` — where the incident stands',
  '• `report <incident>` — the incident report',
  '• `kb <question>` — runbooks that match',
  '• `dry run` — what the proposed fix would do now (pre-checks and a dry run; nothing changes)',
  'Alerts posted in watched channels are diagnosed automatically; approve, reject, dry-run or roll back a fix with the buttons.',
].join('\n');

const DEDUPE_WINDOW = 1000;

/** Builds the Bolt app (HTTP mode, or Socket Mode when an app token is set) wired to one Copilot. */
export function createSlackAdapter(opts: SlackAdapterOptions): SlackAdapter {
  const { slack, runtime } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const socketMode = Boolean(slack.appToken);
  const clientOptions = {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` } : {}),
    retryConfig: opts.retryConfig ?? { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
    rejectRateLimitedCalls: false, // 429: wait Retry-After seconds, then retry
  };
  const logLevel = opts.logLevel ?? LogLevel.WARN;
  let receiver: HTTPReceiver | null = null;
  let app: AppType;
  if (socketMode) {
    // apps.connections.open goes through the receiver's own client: give it the same API base
    const socketReceiver = new SocketModeReceiver({
      appToken: slack.appToken!,
      logLevel,
      installerOptions: { clientOptions: { ...(clientOptions.slackApiUrl ? { slackApiUrl: clientOptions.slackApiUrl } : {}) } },
    });
    app = new App({ token: slack.botToken, receiver: socketReceiver, clientOptions, logLevel, deferInitialization: true });
  } else {
    if (!slack.signingSecret) throw new Error('Slack HTTP mode needs a signing secret');
    receiver = new HTTPReceiver({ signingSecret: slack.signingSecret, endpoints: '/slack/events', logLevel });
    app = new App({ token: slack.botToken, receiver, clientOptions, logLevel, deferInitialization: true });
  }
  const client: WebClient = app.client;
  const channel = new SlackChannel({ client, log, ...(slack.alertChannels[0] ? { defaultChannel: slack.alertChannels[0] } : {}) });

  const groupCache = new Map<string, { users: Set<string>; at: number }>();
  const isInApproverGroup = async (actor: string, approvers: string[]): Promise<boolean> => {
    for (const group of approvers.filter((a) => /^S[A-Z0-9]+$/.test(a))) {
      let cached = groupCache.get(group);
      if (!cached || Date.now() - cached.at > 60_000) {
        const res = await client.usergroups.users.list({ usergroup: group });
        cached = { users: new Set(res.users ?? []), at: Date.now() };
        groupCache.set(group, cached);
      }
      if (cached.users.has(actor)) return true;
    }
    return false;
  };
  const copilot = runtime.copilotFor(channel, { approvers: slack.approvers, isInApproverGroup });

  // incidents by Slack thread and by plan, so status/report/buttons find theirs
  const byThread = new Map<string, string>();
  const byPlan = new Map<string, string>();
  const remember = (s: IncidentSession) => {
    byThread.set(s.incident.thread.threadId, s.incident.id);
    if (s.result.plan) byPlan.set(s.result.plan.id, s.incident.id);
  };

  const jobs = new Set<Promise<unknown>>();
  const background = (what: string, job: () => Promise<unknown>, thread?: ThreadRef) => {
    const p: Promise<unknown> = job()
      .catch(async (err: unknown) => {
        log(`slack: ${what} failed: ${(err as Error).message}`);
        if (thread) await channel.post(thread, msg.errorMessage(`Something went wrong (${what}): ${(err as Error).message}`)).catch(() => undefined);
      })
      .finally(() => jobs.delete(p));
    jobs.add(p);
  };

  // ---- global middleware: retried deliveries and duplicate event ids are acknowledged (Bolt acks events first) and dropped
  const seen: string[] = [];
  app.use(async ({ context, body, next }) => {
    if (context.retryNum !== undefined && context.retryNum > 0) {
      log(`slack: dropped a retried delivery (retry ${context.retryNum}, ${context.retryReason ?? 'no reason'})`);
      return;
    }
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      if (seen.includes(eventId)) return;
      seen.push(eventId);
      if (seen.length > DEDUPE_WINDOW) seen.shift();
    }
    await next();
  });

  // Alertmanager repeats a firing alert; the same alert (name, start) is the same incident, handled in one thread
  const handling = new Map<string, ThreadRef>();
  const incidentIdOf = (text: string): string | null => {
    const parsed = parseAlert(text);
    if (!parsed.ok) return null;
    const alert = parsed.alerts[0]!;
    return openIncident({ kind: 'alert', alert, receivedAt: alert.startsAt }, { channel: channel.name, threadId: '' }, []).id;
  };
  /** Investigates `text` in `thread`, or points at the thread already handling that alert. */
  const handleAlert = async (text: string, thread: ThreadRef) => {
    const id = incidentIdOf(text);
    const elsewhere = id ? handling.get(id) : undefined;
    if (id && elsewhere) {
      const session = copilot.session(id);
      const where = `<#${elsewhere.channel}> (thread of ${elsewhere.threadId})`;
      await channel.post(thread, { text: session ? `${diagnosisSummary(session)} Handled in ${where}.` : `This alert is already being investigated as ${id} in ${where}.` });
      return;
    }
    if (id) handling.set(id, thread);
    const outcome = await copilot.handleAlertText(text, thread); // a malformed alert gets a threaded error reply
    if (outcome.ok) remember(outcome.session);
    else if (id) handling.delete(id);
  };

  const diagnose = async (thread: ThreadRef) => {
    const known = byThread.get(encodeSlackRef(thread.channel, thread.threadId));
    const existing = known ? copilot.session(known) : undefined;
    if (existing) {
      await channel.post(thread, { text: diagnosisSummary(existing) });
      return;
    }
    await handleAlert(JSON.stringify(runtime.world.alertPayload()), thread);
  };

  const sessionFor = (thread: ThreadRef | null, incidentId?: string): IncidentSession | undefined => {
    if (incidentId) return copilot.session(incidentId);
    const id = thread ? byThread.get(encodeSlackRef(thread.channel, thread.threadId)) : undefined;
    return (id ? copilot.session(id) : undefined) ?? copilot.latest;
  };

  // ---- @mention
  app.event('app_mention', async ({ event }) => {
    const thread: ThreadRef = { channel: event.channel, threadId: event.thread_ts ?? event.ts };
    background('mention', async () => {
      const cmdb = await runtime.connectors.cmdb.snapshot();
      const intent = parseIntent(stripMention(event.text ?? ''), cmdb.services.map((s) => s.name));
      switch (intent.kind) {
        case 'diagnose':
          return diagnose(thread);
        case 'status':
          return channel.post(thread, { text: statusLine(sessionFor(thread), runtime) });
        case 'report': {
          const s = sessionFor(thread);
          return channel.post(thread, s ? msg.reportMessage(s.report) : { text: 'There is no report yet: ask me to diagnose first.' });
        }
        case 'approve':
        case 'reject':
          return channel.post(thread, { text: 'Use the Approve / Reject buttons on the proposed fix: they record exactly which plan you decided on.' });
        case 'rollback':
          return channel.post(thread, { text: 'Use the Roll back button under the failed step: it checks that you may approve this plan.' });
        case 'dry_run': {
          const s = sessionFor(thread);
          if (!s?.result.plan) return channel.post(thread, { text: 'There is no proposed fix to dry-run yet: ask me to diagnose first.' });
          return copilot.dryRun(s.incident.id);
        }
        case 'changes': {
          const since = runtime.world.now() - intent.sinceMinutes * 60_000;
          const changes = cmdb.changes.filter((c) => c.ts >= since).sort((a, b) => a.ts - b.ts);
          const lines = changes.map((c) => `• ${new Date(c.ts).toISOString().slice(11, 16)} ${c.kind} \`${c.target}\`: ${c.description} (by ${c.author})`);
          return channel.post(thread, { text: lines.length ? `Changes in the last ${intent.sinceMinutes} minutes:\n${lines.join('\n')}` : `No recorded changes in the last ${intent.sinceMinutes} minutes.` });
        }
        case 'unknown': {
          const s = sessionFor(thread);
          if (runtime.narrator && intent.text.trim()) {
            const context = s ? `${s.incident.title}; top causes: ${s.result.ranked.slice(0, 3).map((h) => `${h.kind} on ${h.component}`).join(', ')}` : 'no diagnosis yet';
            const reply = await runtime.narrator.converse(intent.text, context);
            if (reply.ok) return channel.post(thread, msg.explanationMessage(reply.text, runtime.narrator.label));
          }
          return channel.post(thread, { text: HELP });
        }
        default:
          return channel.post(thread, { text: HELP });
      }
    }, thread);
  });

  // ---- alerts in watched channels
  app.message(async ({ message, context }) => {
    const m = message as { channel: string; ts: string; text?: string; thread_ts?: string; subtype?: string; attachments?: { text?: string; fallback?: string }[] };
    if (!slack.alertChannels.includes(m.channel)) return;
    if (m.subtype && m.subtype !== 'bot_message') return;
    if (m.thread_ts && m.thread_ts !== m.ts) return; // replies are conversation, not alerts
    const raw = [m.text ?? '', ...(m.attachments ?? []).map((a) => a.text ?? a.fallback ?? '')].filter(Boolean).join('\n');
    if (context.botUserId && raw.includes(`<@${context.botUserId}>`)) return; // app_mention handles it
    const text = slackToPlain(raw);
    const looksLikeJson = /^\s*[[{]/.test(text);
    if (!looksLikeJson && !parseAlert(text).ok) return; // ordinary chatter
    const thread: ThreadRef = { channel: m.channel, threadId: m.ts };
    background('alert', () => handleAlert(text, thread), thread);
  });

  // ---- /sre
  app.command('/sre', async ({ command, ack }) => {
    const [sub = 'help', ...rest] = command.text.trim().split(/\s+/);
    const arg = rest.join(' ');
    switch (sub.toLowerCase()) {
      case 'diagnose': {
        await ack({ response_type: 'ephemeral', text: `Diagnosing${arg ? ` ${arg}` : ''}; follow the thread in this channel.` });
        background('/sre diagnose', async () => {
          const root = await client.chat.postMessage({ channel: command.channel_id, text: `🔎 <@${command.user_id}> asked me to diagnose ${arg || 'the firing alert'}.` });
          await diagnose({ channel: command.channel_id, threadId: String(root.ts) });
        });
        return;
      }
      case 'status':
        return ack({ response_type: 'ephemeral', text: statusLine(copilot.latest, runtime) });
      case 'report': {
        const s = sessionFor(null, arg || undefined);
        if (!s) return ack({ response_type: 'ephemeral', text: arg ? `I know no incident ${arg}.` : 'There is no report yet: ask me to diagnose first.' });
        const body = await readFile(s.report.path, 'utf8').catch(() => '');
        return ack({ response_type: 'ephemeral', text: `*${s.report.title}* (${s.incident.id}) → \`${s.report.path}\`\n\`\`\`\n${body.slice(0, 2500)}\n\`\`\`` });
      }
      case 'kb': {
        const words = arg.toLowerCase().split(/\W+/).filter((w) => w.length > 2);
        const hits = runtime.runbooks
          .map((r) => ({ r, score: words.filter((w) => `${r.id} ${r.title} ${r.body}`.toLowerCase().includes(w)).length }))
          .filter((h) => h.score > 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, 5);
        const list = hits.length ? hits.map((h) => `• *${h.r.title}* (\`${h.r.id}\`)`).join('\n') : '(no runbook matches those words)';
        return ack({ response_type: 'ephemeral', text: `Knowledge-base search is not built yet. Runbooks that mention your words:\n${list}` });
      }
      default:
        return ack({ response_type: 'ephemeral', text: HELP });
    }
  });

  // ---- Approve / Reject / Dry run / Roll back buttons: ack within 3 s, act in the background
  app.action<BlockAction<ButtonAction>>(/^(approve|reject|dryrun|rollback)$/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const channelId = body.channel?.id ?? '';
    const messageTs = body.message?.ts as string | undefined;
    const threadTs = (body.message?.thread_ts as string | undefined) ?? messageTs;
    const ephemeral = (text: string) =>
      client.chat.postEphemeral({ channel: channelId, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    background('decision', async () => {
      const [verb, planId, hash] = String(action.value ?? '').split(':');
      const incidentId = planId ? byPlan.get(planId) : undefined;
      const session = incidentId ? copilot.session(incidentId) : undefined;
      const plan = session?.result.plan;
      if (!session || !plan) return ephemeral(`I know no pending plan ${planId ?? ''} (was I restarted?). Nothing was executed.`);
      if (plan.hash !== hash) return ephemeral('That button belongs to a different version of the plan. Nothing was executed.');
      if (verb === 'dryrun') {
        // read-only: pre-checks and the executor's dry run, posted in the thread; anyone in the channel may ask
        const outcome = await copilot.dryRun(session.incident.id);
        return outcome.ok ? undefined : ephemeral(`Not done: ${outcome.error}`);
      }
      const authorised = slack.approvers.includes(user) || (await isInApproverGroup(user, slack.approvers).catch(() => false));
      if (!authorised) {
        await runtime.store.appendAudit({ type: 'refused', incidentId: session.incident.id, planId: plan.id, planHash: plan.hash, actor: user, at: runtime.world.now(), detail: `${user} is not an approver (Slack)` });
        return ephemeral(`Sorry <@${user}>, only ${slack.approvers.map((a) => (a.startsWith('S') ? `<!subteam^${a}>` : `<@${a}>`)).join(', ') || 'configured approvers'} may decide on this plan. Nothing was executed.`);
      }
      const outcome =
        verb === 'rollback' ? await copilot.rollback(session.incident.id, user) : await copilot.decide(session.incident.id, user, verb === 'approve' ? 'approved' : 'rejected');
      if (!outcome.ok) return ephemeral(`Not done: ${outcome.error}`);
      if (messageTs && channelId) {
        const blocks = ((body.message?.blocks ?? []) as { type: string }[]).filter((b) => b.type !== 'actions');
        const note = `${verb === 'approve' ? '✅ Approved' : verb === 'rollback' ? '↩️ Rollback run' : '❌ Rejected'} by <@${user}>`;
        await client.chat.update({ channel: channelId, ts: messageTs, text: note, blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }] as never });
      }
      return undefined;
    });
  });

  app.error(async (err) => {
    log(`slack: error while handling an event: ${err.message}`);
  });

  let server: http.Server | null = null;
  return {
    app,
    copilot,
    channel,
    mode: socketMode ? 'socket' : 'http',
    port: () => (server ? (server.address() as AddressInfo).port : null),
    async start() {
      // pending plans and threads from before a restart keep working
      for (const s of await copilot.restore()) remember(s);
      // fail fast, with a sentence, on a wrong token or API URL (Bolt's own check would retry for minutes)
      const probe = new webApi.WebClient(slack.botToken, { ...(clientOptions.slackApiUrl ? { slackApiUrl: clientOptions.slackApiUrl } : {}), retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
      const auth = await probe.auth.test().catch((err: unknown) => {
        throw new Error(`Slack rejected the bot token or is unreachable (auth.test: ${(err as Error).message})`);
      });
      log(`slack: connected as ${String(auth.user ?? auth.user_id)} in team ${String(auth.team ?? auth.team_id)}`);
      await app.init();
      if (socketMode) {
        await app.start();
        return;
      }
      server = http.createServer(receiver!.requestListener);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(slack.port, () => resolve());
      });
    },
    async stop() {
      if (socketMode) await app.stop();
      else if (server) {
        const s = server;
        server = null;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
    async idle() {
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
  };
}

/** Slack's message text → what the sender typed: code fences, link markup and entities undone. */
export function slackToPlain(text: string): string {
  return text
    .trim()
    .replace(/^```[a-z]*\n?([\s\S]*?)\n?```$/, '$1')
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function diagnosisSummary(s: IncidentSession): string {
  const top = s.result.ranked[0];
  if (!top) return `${s.incident.id}: I found no anomaly that explains the alert.`;
  return `${s.incident.id}: most likely ${faultLabel(top.kind)} on ${top.component} (confidence ${Math.round(top.confidence * 100)} %, reflection: ${s.result.reflection.verdict}). `;
}

function statusLine(s: IncidentSession | undefined, runtime: ServeRuntime): string {
  if (!s) return `An alert is firing (${runtime.world.def.description}); nobody has asked me to diagnose it yet.`;
  const stage = remediationStage(s);
  return `${s.incident.id} — ${s.incident.title} — ${s.incident.status}: ${stage}.`;
}
