import cron, { type ScheduledTask } from 'node-cron';
import type { JobInfo, JobQueue } from './types.js';

/**
 * The default queue: jobs run in this process, in the order added, `concurrency` at a time per name; schedules are
 * node-cron tasks. Nothing survives the process — which is why it stays the default only for one-process set-ups.
 */
export function createInProcessQueue(log: (line: string) => void = () => undefined): JobQueue {
  const handlers = new Map<string, { run: (data: unknown, job: JobInfo) => Promise<void>; concurrency: number; active: number; waiting: { data: unknown; id?: string; at: number }[] }>();
  const seen = new Set<string>();
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<void>>();
  let closed = false;

  const pump = (name: string) => {
    const h = handlers.get(name);
    if (!h) return;
    while (!closed && h.active < h.concurrency && h.waiting.length > 0) {
      const next = h.waiting.shift()!;
      h.active++;
      const job = h
        .run(next.data, { id: next.id, attempt: 1, enqueuedAt: next.at })
        .catch((err: unknown) => log(`queue: a ${name} job failed: ${(err as Error).message}`))
        .finally(() => {
          h.active--;
          running.delete(job);
          pump(name);
        });
      running.add(job);
    }
  };

  return {
    kind: 'in-process',
    work(name, handler, opts = {}) {
      const waiting = handlers.get(name)?.waiting ?? [];
      handlers.set(name, { run: handler as (data: unknown, job: JobInfo) => Promise<void>, concurrency: opts.concurrency ?? 1, active: 0, waiting });
      pump(name);
    },
    async add(name, data, opts = {}) {
      if (closed) throw new Error('the queue is closed');
      if (opts.jobId) {
        const key = `${name}\u0000${opts.jobId}`;
        if (seen.has(key)) return;
        seen.add(key);
      }
      let h = handlers.get(name);
      if (!h) handlers.set(name, (h = { run: async () => undefined, concurrency: 0, active: 0, waiting: [] }));
      h.waiting.push({ data, at: Date.now(), ...(opts.jobId ? { id: opts.jobId } : {}) });
      pump(name);
    },
    async schedule(name, expression) {
      if (!cron.validate(expression)) throw new Error(`"${expression}" is not a cron expression`);
      tasks.push(cron.schedule(expression, () => void this.add(name, { at: Date.now() }), { name, noOverlap: true }));
    },
    async ping() {},
    async depth() {
      let n = 0;
      for (const h of handlers.values()) n += h.waiting.length + h.active;
      return n;
    },
    async depthOf(name) {
      const h = handlers.get(name);
      return h ? h.waiting.length + h.active : 0;
    },
    async close() {
      closed = true;
      await Promise.all(tasks.map((t) => t.destroy()));
      await Promise.allSettled([...running]);
    },
  };
}
