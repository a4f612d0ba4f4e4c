import { packageVersion } from '../version.js';
import { createInterface } from 'node:readline/promises';
import type { SlackAdapter } from '../bot/slack/app.js';
import type { Config } from '../config.js';
import type { Conversation } from '../copilot/conversation.js';
import { openKnowledgeNow, type ServeRuntime } from '../runtime.js';
import { createHttpServer, type HttpRoute, type HttpServer, type Readiness } from '../server/http.js';
import { redactingLog } from '../redaction/log.js';
import type { AuditVerification } from '../storage/types.js';
import { enableMetrics, metrics } from '../server/metrics.js';
import { createReconciler } from '../server/reconcile.js';
import { webhookRoutes } from '../server/webhooks.js';
import { DEFAULT_OTLP_MAX_BODY_BYTES, type OtlpStore } from '../connectors/otlp/store.js';

export interface AdapterStatus {
  adapter: string;
  enabled: boolean;
  detail: string;
}

/** The startup table: which adapters run and why the others do not (HolmesGPT style). */
export function formatStatusTable(rows: AdapterStatus[]): string {
  const w = Math.max(7, ...rows.map((r) => r.adapter.length));
  const lines = [`${'ADAPTER'.padEnd(w)}  ${'STATUS'.padEnd(8)}  DETAIL`];
  for (const r of rows) lines.push(`${r.adapter.padEnd(w)}  ${(r.enabled ? 'enabled' : 'disabled').padEnd(8)}  ${r.detail}`);
  return lines.join('\n');
}

/** Which adapters `serve` would start with this config, and why (pure, for the table and tests). */
export function planAdapters(config: Config): AdapterStatus[] {
  const s = config.slack;
  const slack: AdapterStatus = s
    ? {
        adapter: 'slack',
        enabled: true,
        detail: `${s.appToken ? 'Socket Mode' : 'HTTP mode (POST /slack/events on the HTTP server)'}; alert channels: ${s.alertChannels.join(', ') || 'none'}; approvers: ${s.approvers.join(', ') || 'NONE (no plan can be approved: set SLACK_APPROVERS)'}`,
      }
    : { adapter: 'slack', enabled: false, detail: 'SLACK_BOT_TOKEN is not set' };
  const d = config.discord;
  const discord: AdapterStatus = d
    ? {
        adapter: 'discord',
        enabled: true,
        detail: `gateway bot; alert channels: ${d.alertChannels.join(', ') || 'none'}; approvers: ${d.approvers.join(', ') || 'NONE (no plan can be approved: set DISCORD_APPROVERS)'}${d.applicationId ? '' : '; /sre not registered (set DISCORD_APPLICATION_ID)'}`,
      }
    : { adapter: 'discord', enabled: false, detail: 'DISCORD_TOKEN is not set' };
  const anyChat = slack.enabled || discord.enabled;
  const consoleRow: AdapterStatus = anyChat
    ? { adapter: 'console', enabled: false, detail: 'a chat adapter is enabled' }
    : { adapter: 'console', enabled: true, detail: 'no chat adapter configured: answering on this terminal' };
  return [slack, discord, consoleRow, executorRow(config)];
}

/** What approved fixes will act on: worth one line at start-up, before anyone clicks Approve. */
function executorRow(config: Config): AdapterStatus {
  const base = config.executor ?? 'scenario';
  const shell = config.shell?.enabled ? `shell on (allow: ${config.shell.allow.join(', ') || 'nothing'})` : 'shell off';
  const hooks = Object.keys(config.hooks ?? {});
  const kubectl = base === 'scenario' ? 'kubectl steps simulated by the world' : `kubectl ${config.kubectl?.binary ?? 'kubectl'} in namespace ${config.kubectl?.namespace ?? 'default'}`;
  return {
    adapter: 'executor',
    enabled: true,
    detail: `${base}${base === 'webhook' && config.webhook ? ` → ${config.webhook.url}` : ''}; scripts: ${shell}; hooks: ${hooks.join(', ') || 'none'}; ${kubectl}`,
  };
}

/**
 * `serve`: the HTTP server first (so /healthz answers within a moment of start-up and /readyz says "starting"), then
 * the runtime and the configured adapters, each loaded only when configured; SIGINT/SIGTERM close it all.
 */
export async function runServe(opts: { config: Config; scenario: string; seed: number }): Promise<void> {
  const { config } = opts;
  const out = process.stderr;
  // error messages can quote alerts, logs and API answers: a log line is redacted like everything else
  const log = redactingLog((line: string) => out.write(`${line}\n`));
  const rows = planAdapters(config);
  let readiness: Readiness = { ready: false, reason: 'starting' };
  let slackHandler: SlackAdapter['handleHttp'] = null;
  const slackOverHttp = Boolean(config.slack && !config.slack.appToken);
  const routes: HttpRoute[] = slackOverHttp
    ? [{ method: 'POST', path: '/slack/events', handle: (request) => (slackHandler ? slackHandler(request) : startingUp()) }]
    : [];
  // alert webhooks open incidents through the first adapter's conversation (Slack, else Discord, else the console's)
  let alertTarget: Conversation | null = null;
  const webhooks = webhookRoutes({ conversation: () => alertTarget, ...(config.alertReceivers?.token ? { token: config.alertReceivers.token } : {}), log });
  routes.push(...webhooks.routes);
  // OTLP/HTTP receiver: loaded on its first request, so that serve answers /healthz without loading protobufjs
  let runtime: ServeRuntime | null = null;
  const otlp = lazyOtlp(config, log, () => runtime?.otlp ?? null);
  routes.push(...otlp.routes);
  // once running, ready also means the shared engines (PostgreSQL, Redis) answer
  let engines: () => Readiness = () => ({ ready: true });
  const server = await listen(config, { routes, ready: () => (readiness.ready ? engines() : readiness), log });
  log(`http: listening on ${server.url} (healthz, readyz, metrics${slackOverHttp ? ', slack/events' : ''})`);
  log(`http: alert webhooks at POST /webhooks/alertmanager, /webhooks/grafana, /webhooks/generic (${config.alertReceivers?.token ? 'bearer token required' : 'open: set SRE_COPILOT_WEBHOOK_TOKEN to require a token'})`);

  let stopping = false;
  let requestStop!: (why: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    readiness = { ready: false, reason: 'stopping' };
    requestStop(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const stops: (() => Promise<void>)[] = [];
  let slack: SlackAdapter | null = null;
  // the job queue: BullMQ on Redis when REDIS_URL is set (scheduled ticks once across replicas), else in-process
  const queue = (await import('../queue/index.js')).createQueue(config.queue ?? {}, log);
  // cluster mode: serve opens incidents and queues their investigations for `sre-copilot worker` processes
  const dispatch = queue.kind === 'bullmq' ? (await import('../queue/jobs.js')).dispatchInvestigations(queue) : undefined;
  if (queue.kind === 'bullmq') {
    log(`queue: BullMQ on ${(await import('../queue/bullmq.js')).redactRedisUrl(config.queue!.redisUrl!)} (prefix ${config.queue!.prefix})`);
    log('cluster mode: investigations are queued for workers — run `sre-copilot worker` (any number) with the same REDIS_URL and DATABASE_URL');
  }
  try {
    const { createServeRuntime } = await import('../runtime.js');
    runtime = await createServeRuntime({ ...opts, log, ...(dispatch ? { dispatch } : {}) });
    const started = runtime;
    await checkAuditTrail(started, log);
    if (config.slack) {
      const { createSlackAdapter } = await import('../bot/slack/app.js');
      slack = createSlackAdapter({ slack: config.slack, runtime: started, log });
      await slack.start();
      const adapter = slack;
      stops.push(() => adapter.stop());
      slackHandler = adapter.handleHttp;
      alertTarget = adapter.conversation;
    }
    if (config.discord) {
      const { startDiscord } = await import('../bot/discord/index.js');
      const discordBot = await startDiscord({
        config: config.discord,
        makeCopilot: (channel, auth) => started.copilotFor(channel, auth),
        makeConversation: (copilot) => started.conversationFor(copilot),
        // the scenario world's clock, not the wall clock: questions are about the simulated incident
        now: () => started.now(),
        knownServices: async () => (await started.connectors.cmdb.snapshot()).services.map((svc) => svc.name),
        runbooks: started.runbooks,
        audit: started.store,
        log: { info: log, warn: log, error: log },
      });
      stops.push(() => discordBot.stop());
      alertTarget ??= discordBot.context.conversation;
    }
  } catch (err) {
    readiness = { ready: false, reason: `start-up failed: ${(err as Error).message}` };
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await server.close(0);
    await queue.close();
    await runtime?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw err;
  }
  const runtimeUp = runtime;
  openKnowledgeNow(runtimeUp, log);
  out.write(`sre-copilot serve — reading ${runtimeUp.source().label}\n${formatStatusTable(rows)}\n`);
  if (!stopping) readiness = { ready: true };
  const alertmanagerUrl = config.sources?.alertmanagerUrl;
  const reconciler = alertmanagerUrl
    ? createReconciler({
        url: alertmanagerUrl,
        intervalMs: config.alertReceivers?.reconcileMs ?? 60_000,
        ...(config.alertReceivers?.receiver ? { receiver: config.alertReceivers.receiver } : {}),
        // until an adapter's conversation exists, every alert counts as held: nothing is fed twice
        conversation: {
          alertGroup: (group, o) => (alertTarget ? alertTarget.alertGroup(group, o) : Promise.resolve({ kind: 'ignored' as const, reason: 'starting' })),
          tracks: (alert) => alertTarget?.tracks(alert) ?? true,
        },
        log,
      })
    : null;
  reconciler?.start();
  const { engineChecks, watchDependencies } = await import('../server/dependencies.js');
  const dependencies = watchDependencies(engineChecks(runtimeUp.store, queue), { log });
  engines = () => dependencies.state();
  // in cluster mode the depth on /metrics is the shared queue's (waiting and running investigations, all workers)
  const depthTimer = queue.kind === 'bullmq' ? setInterval(() => void queue.depth().then((n) => metrics.queueDepth(n), () => undefined), 5000) : null;
  // the built-in job (SRE_COPILOT_DETECT_CRON) and the config file's own jobs, which run even when the built-in is off
  const detection = config.detectCron || config.sources?.configFile
    ? (await import('../schedules/detection.js')).startDetection({
        queue,
        config,
        metrics: runtimeUp.connectors.metrics,
        now: () => runtimeUp.now(),
        target: () => alertTarget,
        stateFile: (await import('./schedules.js')).schedulesStateFile(config),
        log,
      })
    : null;

  const consoleEnabled = rows.find((r) => r.adapter === 'console')?.enabled === true;
  const why = await Promise.race([stopRequested, consoleEnabled ? consoleLoop(runtimeUp, config, (c) => (alertTarget ??= c)).then(() => 'end of input') : new Promise<string>(() => undefined)]);
  readiness = { ready: false, reason: 'stopping' };
  log(`sre-copilot: ${why}, shutting down…`);
  reconciler?.stop();
  await detection?.stop();
  dependencies.stop();
  if (depthTimer) clearInterval(depthTimer);
  await queue.close();
  await server.close(); // in-flight requests (a Slack event being acknowledged) finish first
  for (const stop of stops.reverse()) await stop().catch((e: unknown) => log(`sre-copilot: ${(e as Error).message}`));
  await slack?.idle();
  await webhooks.idle();
  await runtimeUp.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** The HTTP server on PORT/HOST, or a sentence saying why it cannot listen there. */
async function listen(config: Config, opts: { routes: HttpRoute[]; ready: () => Readiness; log: (line: string) => void }): Promise<HttpServer> {
  const { port, host } = config.http;
  try {
    return await createHttpServer({ port, host, version: packageVersion(), metrics: await enableMetrics(), ...opts });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`the HTTP server cannot listen on ${host}:${port}: ${why} (set PORT, or PORT=0 for any free port)`);
  }
}

/** Slack retries a 503: the events it sends while the runtime starts are delivered again a moment later. */
function startingUp(): Response {
  return new Response('starting up; retry shortly\n', { status: 503, headers: { 'retry-after': '5', 'content-type': 'text/plain; charset=utf-8' } });
}

/** No chat adapter: the same questions as `chat`, answered on this terminal. */
async function consoleLoop(runtime: ServeRuntime, config: Config, onConversation: (conversation: Conversation) => void): Promise<void> {
  const [{ createChannel }, { answer }] = await Promise.all([import('../bot/registry.js'), import('./chat.js')]);
  const channel = createChannel('console', { stream: process.stdout });
  const copilot = runtime.copilotFor(channel);
  const view = { conversation: runtime.conversationFor(copilot) };
  await copilot.restore({ background: (job) => void job().catch((err: unknown) => process.stderr.write(`sre-copilot: resuming interrupted incidents failed: ${(err as Error).message}\n`)) });
  await view.conversation.restore();
  onConversation(view.conversation);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    process.stdout.write('An alert is firing. Type "help" for what I understand, "quit" to stop.\n> ');
    for await (const line of rl) {
      if (/^\s*(quit|exit)\s*$/i.test(line)) break;
      if (!line.trim()) continue;
      try {
        process.stdout.write(`${await answer(view, config, line)}\n> `);
      } catch (err) {
        process.stdout.write(`Something went wrong answering that: ${(err as Error).message}\n> `);
      }
    }
  } finally {
    rl.close();
  }
}

/**
 * The audit trail is checked at every start: a broken chain means someone changed the record of who approved what,
 * which the people on call must hear about before they trust anything the bot says it did. It does not stop serve.
 */
async function checkAuditTrail(runtime: ServeRuntime, log: (line: string) => void): Promise<void> {
  const verdict: AuditVerification = await runtime.store
    .verifyAudit()
    .catch((err: unknown) => ({ ok: false, records: 0, firstBroken: { seq: 0, reason: `could not be read: ${(err as Error).message}` } }));
  if (verdict.ok) {
    log(`audit: ${verdict.records} record(s), chain intact (head ${verdict.head.seq} ${verdict.head.hash.slice(0, 16)}…)`);
    return;
  }
  const b = verdict.firstBroken;
  const bar = '!'.repeat(78);
  log(`${bar}\nWARNING: THE AUDIT LOG HAS BEEN TAMPERED WITH — record ${b.seq}${b.incidentId ? ` (${b.incidentId}${b.type ? `, ${b.type}` : ''})` : ''}: ${b.reason}.\nRun \`bin/sre-copilot audit verify\` and investigate before trusting approvals recorded here.\n${bar}`);
}

/**
 * The OTLP routes, whose module (protobufjs and the proto definitions) loads on the first export received; what they
 * decode goes into the runtime's bounded store, which the experts read on real telemetry. Until the runtime is up an
 * exporter is told to retry (503), as the OTLP specification's retry rules expect.
 */
function lazyOtlp(config: Config, log: (line: string) => void, store: () => OtlpStore | null): { routes: HttpRoute[] } {
  let loaded: Promise<HttpRoute[]> | null = null;
  const load = (target: OtlpStore) =>
    (loaded ??= import('../connectors/otlp/routes.js').then((m) => {
      log('otlp: receiving on POST /v1/traces, /v1/logs, /v1/metrics (held in a bounded store in memory)');
      return m.otlpRoutes(target, { maxBodyBytes, log });
    }));
  const maxBodyBytes = config.otlp?.maxBodyBytes ?? DEFAULT_OTLP_MAX_BODY_BYTES;
  return {
    routes: ['/v1/traces', '/v1/logs', '/v1/metrics'].map((path) => ({
      method: 'POST' as const,
      path,
      maxBodyBytes,
      handle: async (request: Request) => {
        const target = store();
        if (!target) return startingUp();
        const route = (await load(target)).find((r) => r.path === path);
        return route ? route.handle(request) : new Response('not found', { status: 404 });
      },
    })),
  };
}
