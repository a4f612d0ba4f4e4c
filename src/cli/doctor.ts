import { access, constants, mkdir } from 'node:fs/promises';
import type { Config } from '../config.js';
import { planAdapters } from './serve.js';

/**
 * `sre-copilot doctor`: every data source, chat adapter, store and the LLM, each enabled or disabled and precisely why;
 * an enabled one that is configured with a URL is probed. One registry of checks: a new source adds one entry.
 */
export type DoctorStatus = 'enabled' | 'disabled' | 'failing';

export interface DoctorRow {
  area: 'source' | 'chat' | 'store' | 'llm' | 'executor';
  name: string;
  status: DoctorStatus;
  detail: string;
}

export interface DoctorCheck {
  area: DoctorRow['area'];
  name: string;
  run(config: Config, probe: Probe): Promise<Omit<DoctorRow, 'area' | 'name'>>;
}

/** GET `url` with a short timeout: null when it answered 2xx, else why not (status and a little of the body). */
export type Probe = (url: string, headers?: Record<string, string>) => Promise<string | null>;

export const httpProbe: Probe = async (url, headers = {}) => {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    if (res.ok) return null;
    const body = (await res.text().catch(() => '')).trim().slice(0, 120);
    return `HTTP ${res.status}${body ? `: ${body}` : ''}`;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code) return `no answer (${code})`;
    return (err as Error).name === 'TimeoutError' ? 'no answer within 3 s' : (err as Error).message;
  }
};

const urlCheck = (area: DoctorRow['area'], name: string, variable: string, url: (c: Config) => string | undefined, path: string, what: string): DoctorCheck => ({
  area,
  name,
  async run(config, probe) {
    const base = url(config);
    if (!base) return { status: 'disabled', detail: `${variable} is not set` };
    const problem = await probe(new URL(path, base.endsWith('/') ? base : `${base}/`).toString());
    return problem ? { status: 'failing', detail: `${base}: ${problem}` } : { status: 'enabled', detail: `${base} answers (${what})` };
  },
});

export const DOCTOR_CHECKS: DoctorCheck[] = [
  {
    area: 'source',
    name: 'data source',
    async run(config) {
      const { dataSourceMode, configuredSourceKinds } = await import('../connectors/sources.js');
      const kinds = configuredSourceKinds(config.sources);
      switch (dataSourceMode(config)) {
        case 'world':
          return { status: 'enabled', detail: `SRE_COPILOT_WORLD=scenario: the bundled simulated shop${kinds.length ? ` (configured but unused: ${kinds.join(', ')})` : ''}` };
        case 'live':
          return { status: 'enabled', detail: `real telemetry on the wall clock: ${kinds.length ? kinds.join(', ') : 'none configured'} + the OTLP receiver${config.world === 'off' ? ' (SRE_COPILOT_WORLD=off)' : ''}` };
        default:
          return { status: 'enabled', detail: 'no real source configured: the bundled simulated shop, until the OTLP receiver gets data (then that data, on the wall clock)' };
      }
    },
  },
  {
    area: 'source',
    name: 'otlp',
    async run(config) {
      const o = config.otlp;
      return { status: 'enabled', detail: `serve receives POST /v1/traces, /v1/logs, /v1/metrics (JSON and protobuf) on port ${config.http.port}${o ? `; holds at most ${o.maxSpans} spans, ${o.maxLogs} log records, ${o.maxPoints} points, ${o.maxAgeMinutes} min` : ''}` };
    },
  },
  {
    area: 'source',
    name: 'cmdb',
    async run(config, probe) {
      const location = config.sources?.cmdb;
      if (!location) return { status: 'disabled', detail: 'SRE_COPILOT_CMDB is not set: topology is discovered from traces and metrics (owners unknown)' };
      if (/^https?:\/\//i.test(location)) {
        const problem = await probe(location);
        return problem ? { status: 'failing', detail: `${location}: ${problem}` } : { status: 'enabled', detail: `${location} answers` };
      }
      try {
        const { createCmdbSource } = await import('../connectors/cmdb/index.js');
        const cmdb = await createCmdbSource({ location }).snapshot();
        return { status: 'enabled', detail: `${location}: ${cmdb.services.length} services, ${cmdb.hosts.length} hosts, ${cmdb.changes.length} changes` };
      } catch (err) {
        return { status: 'failing', detail: (err as Error).message };
      }
    },
  },
  urlCheck('source', 'prometheus', 'PROMETHEUS_URL', (c) => c.sources?.prometheusUrl, '-/ready', 'metrics over the HTTP API'),
  urlCheck('source', 'loki', 'LOKI_URL', (c) => c.sources?.lokiUrl, 'ready', 'logs over LogQL'),
  urlCheck('source', 'jaeger', 'JAEGER_URL', (c) => c.sources?.jaegerUrl, 'api/services', 'traces over the query API'),
  urlCheck('source', 'tempo', 'TEMPO_URL', (c) => c.sources?.tempoUrl, 'ready', 'traces: search and trace by id'),
  urlCheck('source', 'alertmanager', 'ALERTMANAGER_URL', (c) => c.sources?.alertmanagerUrl, '-/ready', 'reconciles firing alerts'),
  {
    area: 'store',
    name: 'store',
    async run(config) {
      if (config.storage === 'postgres') return postgresCheck(config);
      try {
        await mkdir(config.home, { recursive: true });
        await access(config.home, constants.W_OK);
        return { status: 'enabled', detail: `LibSQL file ${config.home}/sre-copilot.db (incidents, redacted) and the hash-chained audit log; Mastra runs in ${config.home}/mastra.db` };
      } catch (err) {
        return { status: 'failing', detail: `${config.home} is not writable: ${(err as Error).message}` };
      }
    },
  },
  {
    area: 'store',
    name: 'queue',
    async run(config) {
      const redisUrl = config.queue?.redisUrl;
      if (!redisUrl) return { status: 'disabled', detail: 'REDIS_URL is not set: one process investigates what it receives (in-process queue)' };
      const [{ createQueue }, { redactRedisUrl }] = await Promise.all([import('../queue/index.js'), import('../queue/bullmq.js')]);
      const queue = createQueue(config.queue!);
      try {
        const answered = await Promise.race([queue.ping().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3000).unref())]);
        if (!answered) return { status: 'failing', detail: `${redactRedisUrl(redisUrl)}: no answer within 3 s` };
        const { INVESTIGATE_JOB } = await import('../queue/jobs.js');
        const waiting = await queue.depthOf(INVESTIGATE_JOB);
        return { status: 'enabled', detail: `cluster mode: BullMQ on ${redactRedisUrl(redisUrl)} (prefix ${config.queue!.prefix}); ${waiting} investigation(s) queued or running — run \`sre-copilot worker\` to take them` };
      } finally {
        await queue.close();
      }
    },
  },
  {
    area: 'llm',
    name: 'llm',
    async run(config, probe) {
      const llm = config.llm;
      if (!llm) return { status: 'disabled', detail: 'LLM_PROVIDER=none: the deterministic analyses and planner do everything; nothing is explained in prose' };
      const headers: Record<string, string> = llm.provider === 'anthropic' ? { 'x-api-key': llm.apiKey ?? '', 'anthropic-version': '2023-06-01' } : llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {};
      const problem = await probe(`${llm.baseUrl.replace(/\/$/, '')}/models`, headers);
      const what = `${llm.provider} ${llm.model} at ${llm.baseUrl}`;
      return problem ? { status: 'failing', detail: `${what}: ${problem}` } : { status: 'enabled', detail: `${what} answers` };
    },
  },
];

export async function runDoctor(config: Config, probe: Probe = httpProbe): Promise<DoctorRow[]> {
  const rows = await Promise.all(DOCTOR_CHECKS.map(async (c) => ({ area: c.area, name: c.name, ...(await c.run(config, probe)) })));
  const chat: DoctorRow[] = planAdapters(config).map((a) => ({
    area: a.adapter === 'executor' ? 'executor' : 'chat',
    name: a.adapter,
    status: a.enabled ? 'enabled' : 'disabled',
    detail: a.detail,
  }));
  return [...rows, ...chat];
}

export function formatDoctor(rows: DoctorRow[]): string {
  const w = (k: keyof DoctorRow, min: number) => Math.max(min, ...rows.map((r) => r[k].length));
  const [a, n, s] = [w('area', 4), w('name', 4), w('status', 6)];
  return [`${'AREA'.padEnd(a)}  ${'NAME'.padEnd(n)}  ${'STATUS'.padEnd(s)}  DETAIL`, ...rows.map((r) => `${r.area.padEnd(a)}  ${r.name.padEnd(n)}  ${r.status.padEnd(s)}  ${r.detail}`)].join('\n');
}

/** Prints the table (or JSON); exit code 1 when anything configured is failing, so it can gate a deployment. */
export async function printDoctor(config: Config, opts: { json?: boolean }): Promise<number> {
  const rows = await runDoctor(config);
  process.stdout.write(opts.json ? `${JSON.stringify({ checks: rows }, null, 2)}\n` : `${formatDoctor(rows)}\n`);
  return rows.some((r) => r.status === 'failing') ? 1 : 0;
}

/** Reads the schema version without migrating anything: doctor looks, serve and workers migrate. */
async function postgresCheck(config: Config): Promise<Omit<DoctorRow, 'area' | 'name'>> {
  const database = config.database;
  if (!database) return { status: 'failing', detail: 'SRE_COPILOT_STORAGE=postgres needs DATABASE_URL' };
  const [{ default: pg }, { redactUrl }, { LATEST_VERSION }] = await Promise.all([import('pg'), import('../storage/postgres/index.js'), import('../storage/postgres/migrations.js')]);
  const client = new pg.Client({ connectionString: database.url, connectionTimeoutMillis: 3_000 });
  const where = `PostgreSQL ${redactUrl(database.url)} schema ${database.schema}`;
  try {
    await client.connect();
    const exists = (await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`"${database.schema}".schema_migrations`])).rows[0]?.t;
    if (!exists) return { status: 'enabled', detail: `${where}: reachable; empty (serve creates the tables, version ${LATEST_VERSION}, at its first start)` };
    const version = Number((await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM "${database.schema}".schema_migrations`)).rows[0]?.v ?? 0);
    const state = version === LATEST_VERSION ? 'up to date' : version < LATEST_VERSION ? `serve migrates it to ${LATEST_VERSION} at start` : `NEWER than this SRE-Copilot (${LATEST_VERSION}): upgrade it`;
    return { status: version > LATEST_VERSION ? 'failing' : 'enabled', detail: `${where}: schema version ${version}, ${state}` };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { status: 'failing', detail: `${where}: ${code ?? (err as Error).message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}
