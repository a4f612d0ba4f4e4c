import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createBullmqQueue } from '../src/queue/bullmq.js';
import { TEST_REDIS_URL, dropRedisPrefix, redisAvailable } from './redis-helpers.js';
import { createInProcessQueue } from '../src/queue/in-process.js';
import type { JobQueue } from '../src/queue/types.js';

/**
 * The job queue both ways: in-process, and BullMQ on the real local Redis (.ci/run starts it when it is down). Jobs
 * run where a worker is; an idempotency key makes a redelivery harmless; a schedule set by two processes runs once
 * per tick.
 */
const REDIS_URL = TEST_REDIS_URL;
const redis = await redisAvailable();
if (!redis) console.warn(`BullMQ queue tests skipped: no Redis at ${REDIS_URL}`);

const kinds: { name: string; make: (prefix: string) => JobQueue; skip: boolean }[] = [
  { name: 'in-process', make: () => createInProcessQueue(), skip: false },
  { name: 'bullmq', make: (prefix) => createBullmqQueue({ url: REDIS_URL, prefix }), skip: !redis },
];

const prefixes: string[] = [];
const newPrefix = () => {
  const p = `sre-copilot-test-${randomBytes(4).toString('hex')}`;
  prefixes.push(p);
  return p;
};

afterAll(async () => {
  if (!redis) return;
  for (const p of prefixes) await dropRedisPrefix(p);
});

describe.each(kinds)('$name queue', ({ make, skip }) => {
  it.skipIf(skip)('runs each job once, and a job added again under the same id not at all', async () => {
    const q = make(newPrefix());
    const seen: number[] = [];
    q.work<{ n: number }>('alerts', async ({ n }) => void seen.push(n), { concurrency: 2 });
    for (const n of [1, 2, 3]) await q.add('alerts', { n }, { jobId: `group-a:fp-${n}` });
    await q.add('alerts', { n: 2 }, { jobId: 'group-a:fp-2' }); // a redelivery
    await vi.waitFor(() => expect([...seen].sort()).toEqual([1, 2, 3]), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(3);
    expect(await q.depth()).toBe(0);
    await q.close();
  }, 20_000);
});

describe.skipIf(!redis)('BullMQ schedules across processes', () => {
  it('runs a schedule two processes both set once per tick', async () => {
    const prefix = newPrefix();
    const [a, b] = [createBullmqQueue({ url: REDIS_URL, prefix }), createBullmqQueue({ url: REDIS_URL, prefix })];
    const ticks: string[] = [];
    a.work('detect', async () => void ticks.push('a'));
    b.work('detect', async () => void ticks.push('b'));
    const started = Date.now();
    await Promise.all([a.schedule('detect', '* * * * * *'), b.schedule('detect', '* * * * * *')]);
    await new Promise((r) => setTimeout(r, 4_500));
    const seconds = (Date.now() - started) / 1000;
    await Promise.all([a.close(), b.close()]);
    // one job per second in all — not one per second per process
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  }, 20_000);
});
