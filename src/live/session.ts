import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Config } from '../config.js';
import { parseCmdbYaml } from '../connectors/files/cmdb.js';
import { createWorld } from '../world/index.js';
import { WorldMetricsEndpoint } from '../world/metrics-endpoint.js';
import { worldPrometheusYaml } from '../world/prometheus-templates.js';
import type { ScenarioWorld } from '../world/types.js';
import { type Daemon, freePort, startDaemon } from './daemons.js';
import { replayWorldTelemetry } from './otlp-replay.js';
import { type AlertRule, type LocalStack, startLocalStack } from './stack.js';

/**
 * The live set-up: a scenario world serving its metrics on /metrics (its clock mapped onto the wall clock), a local
 * Prometheus scraping it every second with real alerting rules, a local Alertmanager delivering to SRE-Copilot's
 * webhook, and `sre-copilot serve` itself — a separate process pointed at them (PROMETHEUS_URL, ALERTMANAGER_URL,
 * SRE_COPILOT_CMDB, SRE_COPILOT_CONFIG) that receives the world's spans and logs on its OTLP endpoints. Nothing here
 * talks to serve except over HTTP, as a real deployment's telemetry would.
 */
// the world's samples are a minute apart and the newest is a minute or two old (a whole-minute offset): rate() over
// 5 minutes, as is usual for a one-minute scrape interval, always has two samples
export const LIVE_RULES: AlertRule[] = [
  {
    alert: 'ServiceErrorRateHigh',
    expr: 'sum by (service_name) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m])) / sum by (service_name) (rate(http_server_request_duration_seconds_count[5m])) > 0.05',
    severity: 'critical',
    summary: 'more than 5 % of requests to {{ $labels.service_name }} fail',
  },
];

export interface LiveSession {
  world: ScenarioWorld;
  endpoint: WorldMetricsEndpoint;
  stack: LocalStack;
  serve: Daemon;
  /** serve's SRE_COPILOT_HOME (its incidents, when the store is the LibSQL file there) */
  serveHome: string;
  /** everything serve wrote to stdout: the incident threads */
  transcript(): string;
  /** resolves once the transcript (from `from`) matches, with the time it did; rejects after timeoutMs */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<number>;
  token: string;
  close(): Promise<void>;
}

export async function startLiveSession(opts: { config: Config; scenario: string; seed: number; log: (line: string) => void; detectCron?: string; rules?: AlertRule[]; onStdout?: (chunk: string) => void }): Promise<LiveSession> {
  const home = path.join(opts.config.home, 'live', `${opts.scenario}-seed${opts.seed}`);
  await rm(home, { recursive: true, force: true });
  const worldDir = path.join(home, 'world');
  const world = createWorld({ scenario: opts.scenario, seed: opts.seed, dir: worldDir });
  await world.start();
  const endpoint = new WorldMetricsEndpoint({ dir: worldDir, worldNow: () => world.now() });
  await endpoint.ready();
  const server = createServer(endpoint.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const metricsTarget = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  opts.log(`live: the scenario world "${opts.scenario}" serves its metrics on http://${metricsTarget}/metrics (world clock + ${Math.round(endpoint.offsetMs / 60_000)} min = wall clock)`);

  // what serve is told about the deployment: the world's CMDB (owners, runbooks, changes) on the wall clock, and the
  // templates that map the world's non-standard metrics
  const cmdb = parseCmdbYaml(await readFile(path.join(worldDir, 'cmdb.yaml'), 'utf8')).value;
  const cmdbFile = path.join(home, 'cmdb.json');
  await writeFile(cmdbFile, JSON.stringify({ ...cmdb, changes: cmdb.changes.map((c) => ({ ...c, ts: new Date(endpoint.toWallMs(c.ts)).toISOString() })) }));
  const configFile = path.join(home, 'sre-copilot.yaml');
  await writeFile(configFile, worldPrometheusYaml());

  const token = randomBytes(16).toString('hex');
  const serveHome = path.join(home, 'serve');
  let out = '';
  const started: { close(): Promise<void> }[] = [{ close: () => new Promise<void>((r) => closeServer(server, r)) }];
  try {
    // serve first (its port is in Alertmanager's config); PROMETHEUS_URL is only known once Prometheus runs, so
    // serve is started after the stack with a webhook URL reserved now
    const servePort = await freePort();
    const stack = await startLocalStack({ targets: [{ job: 'shop', target: metricsTarget, honorLabels: true }], rules: opts.rules ?? LIVE_RULES, webhookUrl: `http://127.0.0.1:${servePort}/webhooks/alertmanager`, webhookToken: token, log: opts.log });
    started.push(stack);
    const root = path.resolve(import.meta.dirname, '..', '..');
    const serve = await startDaemon({
      name: 'sre-copilot serve',
      bin: path.join(root, 'bin', 'sre-copilot'),
      args: () => ['serve'],
      readyPath: '/readyz',
      readyTimeoutMs: 120_000,
      port: servePort,
      env: () => ({
        ...process.env,
        PORT: String(servePort),
        HOST: '127.0.0.1',
        SRE_COPILOT_HOME: serveHome,
        // the deployment's store, when it is a shared one (the LibSQL file otherwise lives under serve's own home)
        ...(opts.config.database ? { DATABASE_URL: opts.config.database.url, SRE_COPILOT_DB_SCHEMA: opts.config.database.schema } : {}),
        PROMETHEUS_URL: stack.prometheus.url,
        ALERTMANAGER_URL: stack.alertmanager.url,
        SRE_COPILOT_WEBHOOK_TOKEN: token,
        SRE_COPILOT_CMDB: cmdbFile,
        SRE_COPILOT_CONFIG: configFile,
        SRE_COPILOT_DETECT_CRON: opts.detectCron ?? '* * * * *',
        SLACK_BOT_TOKEN: '',
        DISCORD_TOKEN: '',
      }),
      onStdout: (chunk) => {
        out += chunk;
        opts.onStdout?.(chunk);
      },
    });
    started.push(serve);
    opts.log(`live: sre-copilot serve on ${serve.url} (Prometheus, Alertmanager, CMDB and OTLP configured; its thread follows)`);
    await mkdir(home, { recursive: true });
    const sent = await replayWorldTelemetry({ worldDir, offsetMs: endpoint.offsetMs, fromMs: world.now() - 3 * 60 * 60_000, toMs: world.now() + 1, otlpUrl: serve.url });
    opts.log(`live: ${sent.spans} spans and ${sent.logs} log records sent to serve's OTLP receiver`);
    // the world goes on at the wall clock's pace: a minute of telemetry each minute, its spans and logs exported too
    let ticking: Promise<unknown> = Promise.resolve();
    const ticker = setInterval(() => {
      ticking = ticking.then(async () => {
        const from = world.now();
        await world.advance(1);
        await replayWorldTelemetry({ worldDir, offsetMs: endpoint.offsetMs, fromMs: from, toMs: world.now(), otlpUrl: serve.url });
      }).catch((err: unknown) => opts.log(`live: the world could not go on: ${(err as Error).message}`));
    }, 60_000);
    started.push({
      close: async () => {
        clearInterval(ticker);
        await ticking;
      },
    });
    return {
      world,
      endpoint,
      stack,
      serve,
      serveHome,
      token,
      transcript: () => out,
      waitFor: (pattern, timeoutMs, from = 0) =>
        new Promise<number>((resolve, reject) => {
          const deadline = Date.now() + timeoutMs;
          const check = () => {
            if (pattern.test(out.slice(from))) return resolve(Date.now());
            if (Date.now() > deadline) return reject(new Error(`nothing matching ${pattern} within ${Math.round(timeoutMs / 1000)} s`));
            setTimeout(check, 50);
          };
          check();
        }),
      close: async () => {
        for (const s of started.reverse()) await s.close().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw err;
  }
}

function closeServer(server: Server, done: () => void): void {
  server.closeAllConnections();
  server.close(() => done());
}

