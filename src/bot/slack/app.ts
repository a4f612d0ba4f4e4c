import { App, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import { incidentChannelOf, type SlackConfig } from '../../config.js';
import type { Copilot } from '../../copilot/copilot.js';
import type { Conversation } from '../../copilot/conversation.js';
import type { ThreadRef } from '../../model/incident.js';
import type { ServeRuntime } from '../../runtime.js';
import * as msg from '../../chat/messages.js';
import { SlackChannel, slackClientOptions } from './channel.js';
import type { SlackContext } from './context.js';
import { registerActionListener } from './listeners/actions.js';
import { registerCommandListener } from './listeners/commands.js';
import { registerMessageListeners } from './listeners/messages.js';
import { SlackHttpReceiver } from './receiver.js';

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
  readonly conversation: Conversation;
  readonly channel: SlackChannel;
  readonly mode: 'http' | 'socket';
  /** HTTP mode: the handler for POST /slack/events, mounted on serve's HTTP server (503 until start); Socket Mode: null */
  readonly handleHttp: ((request: Request) => Promise<Response>) | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** resolves when every background job started so far (investigations, decisions) has finished */
  idle(): Promise<void>;
}


const DEDUPE_WINDOW = 1000;

/** Builds the Bolt app (HTTP mode, or Socket Mode when an app token is set) wired to one Copilot. */
export function createSlackAdapter(opts: SlackAdapterOptions): SlackAdapter {
  const { slack, runtime } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const socketMode = Boolean(slack.appToken);
  const clientOptions = slackClientOptions(slack.apiUrl, opts.retryConfig);
  const logLevel = opts.logLevel ?? LogLevel.WARN;
  let receiver: SlackHttpReceiver | null = null;
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
    receiver = new SlackHttpReceiver({ signingSecret: slack.signingSecret, log });
    app = new App({ token: slack.botToken, receiver, clientOptions, logLevel, deferInitialization: true });
  }
  const client: WebClient = app.client;
  // threads nobody started (alert webhooks) open in the incident channel, else the first alert channel
  const incidentChannel = incidentChannelOf(slack);
  const channel = new SlackChannel({ client, log, ...(incidentChannel ? { defaultChannel: incidentChannel } : {}) });

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
  const conversation = runtime.conversationFor(copilot);

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

  // ---- global middleware: an event is dropped only when an earlier delivery of it is being handled or was accepted.
  // A retry after a failure (or a crash before the acknowledgement) is handled; the alert's identity keeps it one incident.
  const handled = new Set<string>();
  const inProgress = new Set<string>();
  app.use(async ({ context, body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId !== 'string') return next();
    if (handled.has(eventId) || inProgress.has(eventId)) {
      log(`slack: dropped a repeated delivery of ${eventId}${context.retryNum ? ` (retry ${context.retryNum}, ${context.retryReason ?? 'no reason'})` : ''}`);
      return;
    }
    inProgress.add(eventId);
    try {
      await next();
      handled.add(eventId);
      if (handled.size > DEDUPE_WINDOW) handled.delete(handled.values().next().value!);
    } finally {
      inProgress.delete(eventId);
    }
  });

  const ctx: SlackContext = { client, channel, conversation, slack, log, background };
  registerMessageListeners(app, ctx);
  registerCommandListener(app, ctx);
  registerActionListener(app, ctx);

  app.error(async (err) => {
    log(`slack: error while handling an event: ${err.message}`);
  });

  return {
    app,
    copilot,
    conversation,
    channel,
    mode: socketMode ? 'socket' : 'http',
    handleHttp: receiver ? receiver.handle : null,
    async start() {
      // pending plans and threads from before a restart keep working
      // pending plans come back before the first request; interrupted work resumes in the background
      await copilot.restore({ background: (job) => background('resuming interrupted incidents', job) });
      await conversation.restore();
      // fail fast, with a sentence, on a wrong token or API URL (Bolt's own check would retry for minutes)
      const probe = new webApi.WebClient(slack.botToken, { ...(clientOptions.slackApiUrl ? { slackApiUrl: clientOptions.slackApiUrl } : {}), retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
      const auth = await probe.auth.test().catch((err: unknown) => {
        throw new Error(`Slack rejected the bot token or is unreachable (auth.test: ${(err as Error).message})`);
      });
      log(`slack: connected as ${String(auth.user ?? auth.user_id)} in team ${String(auth.team ?? auth.team_id)}`);
      await app.init();
      await app.start(); // Socket Mode connects; HTTP mode lets handleHttp pass requests on
    },
    async stop() {
      await app.stop();
    },
    async idle() {
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
  };
}

export { slackToPlain } from './context.js';
