import type { Config } from '../config.js';
import { INVESTIGATE_JOB, InvestigateJobSchema } from '../queue/jobs.js';
import type { Copilot } from '../copilot/copilot.js';
import { redactingLog } from '../redaction/log.js';
import type { Readiness } from '../server/http.js';
import { packageVersion } from '../version.js';

/**
 * `worker`: runs the investigations serve queues (BullMQ on REDIS_URL) over the shared store (PostgreSQL on
 * DATABASE_URL), and posts what it finds into the incidents' threads through the chat platforms' Web APIs. Any number
 * of workers, on any machine: each job is held by one worker at a time; a worker that dies gives its job back when its
 * lock expires, and the next worker picks the run up where it stopped. SIGTERM finishes the jobs in hand, then exits.
 */
export interface WorkerOptions {
  config: Config;
  scenario: string;
  seed: number;
  /** investigations this process runs at once */
  concurrency: number;
  /** health and metrics on this port (0: any free port); none when undefined */
  port?: number;
}

/** Why this configuration cannot run a worker, or null: workers need the queue and the store serve uses. */
export function workerProblem(config: Config): string | null {
  if (!config.queue?.redisUrl) return 'a worker takes its jobs from the queue serve fills: set REDIS_URL (the same as serve’s)';
  if (!config.database) return 'a worker shares incidents with serve through PostgreSQL: set DATABASE_URL (the same as serve’s)';
  return null;
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { config } = opts;
  const problem = workerProblem(config);
  if (problem) throw new Error(problem);
  const log = redactingLog((line: string) => process.stderr.write(`${line}\n`));
  let readiness: Readiness = { ready: false, reason: 'starting' };
  const [{ createQueue }, { createServeRuntime, openKnowledgeNow }, { webApiChannels }, { enableMetrics }] = await Promise.all([
    import('../queue/index.js'),
    import('../runtime.js'),
    import('../bot/web-api.js'),
    import('../server/metrics.js'),
  ]);
  let engines: () => Readiness = () => ({ ready: true });
  const server =
    opts.port === undefined
      ? null
      : await (await import('../server/http.js')).createHttpServer({ port: opts.port, host: config.http.host, version: packageVersion(), metrics: await enableMetrics(), ready: () => (readiness.ready ? engines() : readiness), log });
  if (server) log(`worker: health and metrics on ${server.url}`);

  let requestStop!: (why: string) => void;
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => requestStop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const runtime = await createServeRuntime({ config, scenario: opts.scenario, seed: opts.seed, log, purpose: 'worker' });
  openKnowledgeNow(runtime, log);
  const copilots = new Map<string, Copilot>();
  for (const [name, { channel, approvers }] of await webApiChannels(config, log)) copilots.set(name, runtime.copilotFor(channel, { approvers }));
  const queue = createQueue(config.queue!, log);
  queue.work<unknown>(
    INVESTIGATE_JOB,
    async (data, job) => {
      const parsed = InvestigateJobSchema.safeParse(data);
      // a job nobody can run is dropped with a line, not retried forever
      if (!parsed.success) return log(`worker: an investigate job (${job.id}) is unreadable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const { incidentId, channel } = parsed.data;
      const copilot = copilots.get(channel);
      if (!copilot) throw new Error(`${incidentId}: its thread is on ${channel}, which this worker is not configured for (configure the same chat platforms as serve)`);
      log(`worker: ${incidentId}: investigating (attempt ${job.attempt})`);
      const outcome = await copilot.runQueued(incidentId);
      log(`worker: ${incidentId}: ${outcome}`);
    },
    { concurrency: opts.concurrency },
  );
  // /readyz: not ready while PostgreSQL or Redis does not answer (the platform then sees why no job gets done)
  const { engineChecks, watchDependencies } = await import('../server/dependencies.js');
  const dependencies = watchDependencies(engineChecks(runtime.store, queue), { log });
  engines = () => dependencies.state();
  readiness = { ready: true };
  log(`worker: taking investigations from the queue (${opts.concurrency} at a time), reading ${runtime.source().label}`);

  const why = await stopRequested;
  readiness = { ready: false, reason: 'stopping' };
  log(`worker: ${why}: finishing the jobs in hand, taking no more…`);
  dependencies.stop();
  await queue.close();
  await runtime.close();
  await server?.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log('worker: stopped');
}
