import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { deleteQueueKeys } from '../queue/bullmq.js';
import { type Cluster, firingNotification, peakRssMb, startCluster } from './cluster.js';
import { isDiagnosis, recordedThreads } from './slack-recorder.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

/**
 * bench load: the cluster under an alert storm (issue 12). For 1, 2 and 4 workers: `alerts` distinct Alertmanager
 * notifications at once to serve; how fast serve takes them (alerts/s accepted), alert → first threaded reply (p50,
 * p99), how many investigations finish per minute, and each process's peak RSS. Then a run with 2 workers where one is
 * SIGKILLed mid-way: `lost` (alerts without a diagnosis) and `duplicated` (diagnoses or threads beyond one per alert)
 * must both be 0. Every run gets a PostgreSQL schema and a Redis prefix of its own, dropped afterwards.
 * Targets on a 2-core machine: first reply p99 < 1 s at 20 concurrent alerts; peak RSS < 400 MB per process.
 */
interface RunFigures {
  run: string;
  workers: number;
  acceptedPerS: number;
  firstReplyP50S: number;
  firstReplyP99S: number;
  diagnosisP50S: number;
  diagnosisP99S: number;
  investigationsPerMin: number;
  serveRssMb: number | null;
  workerRssMaxMb: number | null;
  lost: number;
  duplicated: number;
}

export const loadSuite: BenchSuite = {
  name: 'load',
  description: 'the cluster (serve + N workers on Redis and PostgreSQL) under concurrent alerts: accepted/s, first reply p50/p99, investigations/min, peak RSS, a worker killed (params alerts, workers)',
  async run({ config, params, progress }) {
    const databaseUrl = config.database?.url;
    const redisUrl = config.queue?.redisUrl;
    if (!databaseUrl || !redisUrl) throw new Error('bench load runs the cluster on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (.ci/run starts both locally)');
    const alerts = Math.max(1, Math.min(200, Number(params.alerts ?? 20)));
    const counts = (params.workers ?? '1,2,4').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0 && n <= 8);
    const runs: RunFigures[] = [];
    for (const workers of counts) runs.push(await measure({ databaseUrl, redisUrl, workers, alerts, kill: false, progress }));
    runs.push(await measure({ databaseUrl, redisUrl, workers: 2, alerts, kill: true, progress }));
    const table = renderTable(
      ['run', 'workers', 'accepted/s', 'first reply p50 (s)', 'p99 (s)', 'diagnosis p50 (s)', 'p99 (s)', 'investigations/min', 'serve RSS (MB)', 'worker RSS max (MB)', 'lost', 'duplicated'],
      runs.map((r) => [r.run, r.workers, r.acceptedPerS, r.firstReplyP50S, r.firstReplyP99S, r.diagnosisP50S, r.diagnosisP99S, r.investigationsPerMin, r.serveRssMb ?? '—', r.workerRssMaxMb ?? '—', r.lost, r.duplicated]),
    );
    const worstP99 = Math.max(...runs.map((r) => r.firstReplyP99S));
    const peakRss = Math.max(...runs.flatMap((r) => [r.serveRssMb ?? 0, r.workerRssMaxMb ?? 0]));
    const summary = { alerts, firstReplyP99S: worstP99, peakRssMb: peakRss, lost: runs.reduce((a, r) => a + r.lost, 0), duplicated: runs.reduce((a, r) => a + r.duplicated, 0), targets: { firstReplyP99S: 1, peakRssMb: 400 } };
    const text = `Load: ${alerts} concurrent alerts, serve + N workers on Redis and PostgreSQL (scenario world)\n\n${table}\n\nfirst threaded reply p99 ${worstP99} s (target < 1 s); peak RSS ${peakRss} MB in one process (target < 400 MB); lost ${summary.lost}, duplicated ${summary.duplicated} (both must be 0)`;
    return { suite: 'load', text, json: { summary, runs } };
  },
};

async function measure(opts: { databaseUrl: string; redisUrl: string; workers: number; alerts: number; kill: boolean; progress: (line: string) => void }): Promise<RunFigures> {
  const run = opts.kill ? 'one worker killed' : `${opts.workers} worker(s)`;
  opts.progress(`load: ${run}: starting serve and ${opts.workers} worker(s)…`);
  const id = randomBytes(4).toString('hex');
  const schema = `bench_load_${id}`;
  const prefix = `sre-copilot-bench-${id}`;
  const home = await mkdtemp(path.join(tmpdir(), 'sre-load-'));
  let cluster: Cluster | null = null;
  try {
    cluster = await startCluster({
      workers: opts.workers,
      // a killed worker's jobs come back within seconds; the other runs keep the production default
      ...(opts.kill ? { lockMs: 3_000 } : {}),
      env: { DATABASE_URL: opts.databaseUrl, SRE_COPILOT_DB_SCHEMA: schema, REDIS_URL: opts.redisUrl, SRE_COPILOT_QUEUE_PREFIX: prefix, SRE_COPILOT_HOME: home },
      log: opts.progress,
    });
    const c = cluster;
    const names = Array.from({ length: opts.alerts }, (_, i) => `LoadAlert${i + 1}`);
    const sentAt = new Map<string, number>();
    const t0 = Date.now();
    const answers = await Promise.all(
      names.map(async (name, i) => {
        sentAt.set(name, Date.now());
        const answer = await c.alertmanager(firingNotification(name, `load-svc-${i + 1}`));
        return { ...answer, at: Date.now() };
      }),
    );
    const refused = answers.filter((a) => a.status !== 202).length;
    if (refused > 0) opts.progress(`load: ${refused} notification(s) were not accepted`);
    const acceptedPerS = round(opts.alerts / Math.max(0.001, (Math.max(...answers.map((a) => a.at)) - t0) / 1000));
    if (opts.kill) {
      await waitFor(() => /investigating \(attempt 1\)/.test(c.workerLog(0)), 60_000);
      c.workers[0]!.child.kill('SIGKILL');
      opts.progress('load: worker 1 killed mid-investigation');
    }
    const diagnosed = () => recordedThreads(c.slack.calls).filter((t) => t.replies.some(isDiagnosis)).length;
    await waitFor(() => diagnosed() >= opts.alerts, 10 * 60_000, () => opts.progress(`load: ${run}: ${diagnosed()}/${opts.alerts} diagnosed`));
    await new Promise((r) => setTimeout(r, 2_000)); // a duplicate still in flight would land now
    const threads = recordedThreads(c.slack.calls);
    const firstReply: number[] = [];
    const diagnosis: number[] = [];
    let lost = 0;
    for (const name of names) {
      const thread = threads.find((t) => t.rootText === `🚨 ${name}`);
      const sent = sentAt.get(name)!;
      const done = thread?.replies.find(isDiagnosis);
      if (!thread || !done) {
        lost++;
        continue;
      }
      if (thread.replies[0]) firstReply.push((thread.replies[0].at - sent) / 1000);
      diagnosis.push((done.at - sent) / 1000);
    }
    const duplicated = Math.max(0, threads.length - opts.alerts) + threads.reduce((n, t) => n + Math.max(0, t.replies.filter(isDiagnosis).length - 1), 0);
    const lastDiagnosis = Math.max(...threads.flatMap((t) => t.replies.filter(isDiagnosis).map((r) => r.at)));
    const workerRss = (await Promise.all(c.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).map((w) => peakRssMb(w.child.pid)))).filter((x): x is number => x !== null);
    const figures: RunFigures = {
      run,
      workers: opts.workers,
      acceptedPerS,
      firstReplyP50S: quantile(firstReply, 0.5),
      firstReplyP99S: quantile(firstReply, 0.99),
      diagnosisP50S: quantile(diagnosis, 0.5),
      diagnosisP99S: quantile(diagnosis, 0.99),
      investigationsPerMin: round((diagnosis.length / Math.max(0.001, (lastDiagnosis - t0) / 1000)) * 60),
      serveRssMb: await peakRssMb(c.serve.child.pid),
      workerRssMaxMb: workerRss.length > 0 ? Math.max(...workerRss) : null,
      lost,
      duplicated,
    };
    opts.progress(`load: ${run}: ${figures.investigationsPerMin} investigations/min, first reply p99 ${figures.firstReplyP99S} s`);
    return figures;
  } finally {
    await cluster?.close();
    await dropSchemas(opts.databaseUrl, schema).catch((err: unknown) => opts.progress(`load: could not drop ${schema}: ${(err as Error).message}`));
    await deleteQueueKeys(opts.redisUrl, prefix).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}

async function waitFor(done: () => boolean, timeoutMs: number, tick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastTick = Date.now();
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`load: gave up after ${Math.round(timeoutMs / 1000)} s`);
    if (tick && Date.now() - lastTick > 10_000) {
      tick();
      lastTick = Date.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function dropSchemas(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of [schema, `${schema}_mastra`]) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
}

const round = (x: number) => Math.round(x * 100) / 100;
