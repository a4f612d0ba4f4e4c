import { createInterface } from 'node:readline/promises';
import { createChannel } from '../bot/registry.js';
import { startDiscord } from '../bot/discord/index.js';
import { createSlackAdapter, type SlackAdapter } from '../bot/slack/app.js';
import type { Config } from '../config.js';
import { createServeRuntime, type ServeRuntime } from '../runtime.js';
import { answer } from './chat.js';

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
        detail: `${s.appToken ? 'Socket Mode' : `HTTP mode on :${s.port} POST /slack/events`}; alert channels: ${s.alertChannels.join(', ') || 'none'}; approvers: ${s.approvers.join(', ') || 'NONE (no plan can be approved: set SLACK_APPROVERS)'}`,
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

export async function runServe(opts: { config: Config; scenario: string; seed: number }): Promise<void> {
  const { config } = opts;
  const out = process.stderr;
  const runtime = await createServeRuntime(opts);
  const rows = planAdapters(config);
  const stops: (() => Promise<void>)[] = [];
  let slack: SlackAdapter | null = null;
  try {
    if (config.slack) {
      slack = createSlackAdapter({ slack: config.slack, runtime, log: (line) => out.write(`${line}\n`) });
      await slack.start();
      stops.push(() => slack!.stop());
    }
    if (config.discord) {
      const discordBot = await startDiscord({
        config: config.discord,
        makeCopilot: (channel, auth) => runtime.copilotFor(channel, auth),
        // the scenario world's clock, not the wall clock: questions are about the simulated incident
        now: () => runtime.world.now(),
        knownServices: async () => (await runtime.connectors.cmdb.snapshot()).services.map((svc) => svc.name),
        runbooks: runtime.runbooks,
        audit: runtime.store,
        log: { info: (m) => out.write(`${m}\n`), warn: (m) => out.write(`${m}\n`), error: (m) => out.write(`${m}\n`) },
      });
      stops.push(() => discordBot.stop());
    }
  } catch (err) {
    await runtime.close();
    throw err;
  }
  out.write(`sre-copilot serve — scenario ${runtime.scenario} (seed ${runtime.seed})\n${formatStatusTable(rows)}\n`);
  if (slack?.mode === 'http') out.write(`slack: listening on :${slack.port()} (POST /slack/events)\n`);

  let stopping: Promise<void> | null = null;
  const shutdown = (why: string) => {
    stopping ??= (async () => {
      out.write(`sre-copilot: ${why}, shutting down…\n`);
      for (const stop of stops.reverse()) await stop().catch((e: unknown) => out.write(`sre-copilot: ${(e as Error).message}\n`));
      await slack?.idle();
      await runtime.close();
    })();
    return stopping;
  };
  const done = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => void shutdown(sig).then(resolve);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (rows.find((r) => r.adapter === 'console')?.enabled) void consoleLoop(runtime, config).then(() => shutdown('end of input')).then(resolve);
  });
  await done;
}

/** No chat adapter: the same questions as `chat`, answered on this terminal. */
async function consoleLoop(runtime: ServeRuntime, config: Config): Promise<void> {
  const channel = createChannel('console', { stream: process.stdout });
  const copilot = runtime.copilotFor(channel);
  const view = { ...runtime, copilot };
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
