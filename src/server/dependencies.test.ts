import { describe, expect, it } from 'vitest';
import { createBullmqQueue } from '../queue/bullmq.js';
import { watchDependencies } from './dependencies.js';

describe('readiness of the shared engines', () => {
  it('is not ready, naming the engine, while one does not answer, and says so once each way', async () => {
    let up = true;
    const lines: string[] = [];
    const ping = async () => {
      if (!up) throw new Error('ECONNREFUSED');
    };
    const watch = watchDependencies([{ name: 'PostgreSQL', ping }, { name: 'Redis', ping: async () => undefined }], { log: (l) => lines.push(l), intervalMs: 60_000 });
    await watch.checkNow();
    expect(watch.state()).toEqual({ ready: true });
    up = false;
    await watch.checkNow();
    await watch.checkNow();
    expect(watch.state()).toEqual({ ready: false, reason: 'PostgreSQL: ECONNREFUSED' });
    up = true;
    await watch.checkNow();
    expect(watch.state()).toEqual({ ready: true });
    expect(lines).toEqual(['readyz: PostgreSQL does not answer (ECONNREFUSED): not ready until it does', 'readyz: PostgreSQL answers again']);
    watch.stop();
  });

  it('counts a hanging engine as down after the timeout', async () => {
    const watch = watchDependencies([{ name: 'Redis', ping: () => new Promise(() => undefined) }], { timeoutMs: 50, intervalMs: 60_000 });
    await watch.checkNow();
    expect(watch.state()).toMatchObject({ ready: false, reason: expect.stringMatching(/^Redis: no answer within 50 ms/) });
    watch.stop();
  });

  it('sees a Redis that is not there through the BullMQ queue', async () => {
    const queue = createBullmqQueue({ url: 'redis://127.0.0.1:1' });
    const watch = watchDependencies([{ name: 'Redis', ping: () => queue.ping() }], { timeoutMs: 1_000, intervalMs: 60_000 });
    await watch.checkNow();
    expect(watch.state().ready).toBe(false);
    watch.stop();
    await queue.close().catch(() => undefined);
  });
});
