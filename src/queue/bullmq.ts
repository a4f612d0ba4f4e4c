import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { withoutPassword } from '../redaction/url.js';
import { metrics } from '../server/metrics.js';
import type { JobQueue } from './types.js';

/**
 * BullMQ on Redis (REDIS_URL): one BullMQ queue per job name under a common prefix. A job id is BullMQ's own
 * de-duplication (a job with an id that exists is not added again); a schedule is a BullMQ job scheduler, upserted by
 * every replica under the same id, so Redis holds one scheduler and each tick is one job. A job whose worker dies is
 * taken back by another worker once its lock expires (BullMQ's stalled-job check).
 */
export interface BullmqQueueOptions {
  url: string;
  /** the Redis key prefix: deployments sharing a Redis keep apart */
  prefix?: string;
  /** a worker's job lock (BullMQ lockDuration): a dead worker's job is taken back after about this long */
  lockMs?: number;
  log?: (line: string) => void;
}

export function createBullmqQueue(opts: BullmqQueueOptions): JobQueue {
  const prefix = opts.prefix ?? 'sre-copilot';
  const log = opts.log ?? (() => undefined);
  // BullMQ workers block on Redis: they need maxRetriesPerRequest null; one connection for queues, one per worker
  // ioredis reports every failed reconnect: said once when Redis goes away and once when it is back
  let down = false;
  const connect = () => {
    const redis = new Redis(opts.url, { maxRetriesPerRequest: null, lazyConnect: false });
    redis.on('error', (err) => {
      if (down) return;
      down = true;
      log(`queue: Redis ${redactRedisUrl(opts.url)}: ${err.message} (retrying; said once until it answers)`);
    });
    redis.on('ready', () => {
      if (!down) return;
      down = false;
      log(`queue: Redis ${redactRedisUrl(opts.url)} answers again`);
    });
    return redis;
  };
  const shared = connect();
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new Queue(name, { connection: shared, prefix, defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 3, backoff: { type: 'exponential', delay: 1000 } } })));
    return q;
  };

  return {
    kind: 'bullmq',
    work(name, handler, o = {}) {
      const lockDuration = opts.lockMs ?? 30_000;
      const worker = new Worker(
        name,
        async (job) => {
          const startedAt = Date.now();
          // a job taken back from a dead worker is a stall, not a failed attempt: both count as deliveries
          const attempt = job.attemptsMade + job.stalledCounter + 1;
          // only a first delivery waited in the queue; a later one waited on a dead worker or a backoff
          const waited = attempt === 1 ? ((job.processedOn ?? startedAt) - job.timestamp) / 1000 : -1;
          const finished = (outcome: 'completed' | 'failed') => metrics.jobFinished(name, waited, (Date.now() - startedAt) / 1000, outcome);
          try {
            await handler(job.data, { id: job.id, attempt, enqueuedAt: job.timestamp });
            finished('completed');
          } catch (err) {
            finished('failed');
            throw err;
          }
        },
        // the stalled check runs as often as a lock lasts: a dead worker's job is back within about two lock periods
        { connection: connect(), prefix, concurrency: o.concurrency ?? 1, lockDuration, stalledInterval: lockDuration, maxStalledCount: 2 },
      );
      worker.on('failed', (job, err) => log(`queue: a ${name} job${job ? ` (${job.id})` : ''} failed: ${err.message}`));
      worker.on('error', (err) => log(`queue: the ${name} worker: ${err.message}`));
      workers.push(worker);
    },
    async add(name, data, o = {}) {
      await queue(name).add(name, data, o.jobId ? { jobId: o.jobId.replace(/:/g, '_') } : {});
    },
    async schedule(name, pattern) {
      await queue(name).upsertJobScheduler(`schedule-${name}`, { pattern }, { name, data: {} });
    },
    async ping() {
      await shared.ping();
    },
    async depth() {
      let n = 0;
      for (const name of queues.keys()) n += await this.depthOf(name);
      return n;
    },
    async depthOf(name) {
      const counts = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await Promise.all(workers.map((w) => w.disconnect().catch(() => undefined)));
      shared.disconnect();
    },
  };
}

export const redactRedisUrl = (url: string): string => withoutPassword(url, 'REDIS_URL');

/** Deletes every key under a queue prefix (a benchmark's or a test's own queues, once they are done). */
export async function deleteQueueKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
