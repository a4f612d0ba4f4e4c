import type { Readiness } from './http.js';

/**
 * The shared engines serve depends on (PostgreSQL, Redis), checked every few seconds: /readyz says "not ready" and
 * names the engine while one does not answer, so a load balancer stops sending alerts to a replica that could not
 * store them. A failure is logged once when it starts and once when it ends, not at every check.
 */
export interface DependencyCheck {
  name: string;
  ping(): Promise<void>;
}

export interface DependencyWatch {
  state(): Readiness;
  /** one round of checks now (the timer runs them every intervalMs) */
  checkNow(): Promise<void>;
  stop(): void;
}

export function watchDependencies(checks: DependencyCheck[], opts: { intervalMs?: number; timeoutMs?: number; log?: (line: string) => void } = {}): DependencyWatch {
  const failing = new Map<string, string>();
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const checkNow = async () => {
    await Promise.all(
      checks.map(async (c) => {
        try {
          await Promise.race([c.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
          if (failing.delete(c.name)) opts.log?.(`readyz: ${c.name} answers again`);
        } catch (err) {
          const why = (err as Error).message || String(err);
          if (!failing.has(c.name)) opts.log?.(`readyz: ${c.name} does not answer (${why}): not ready until it does`);
          failing.set(c.name, why);
        }
      }),
    );
  };
  const timer = checks.length > 0 ? setInterval(() => void checkNow(), opts.intervalMs ?? 5_000) : null;
  timer?.unref();
  return {
    state: () => (failing.size === 0 ? { ready: true } : { ready: false, reason: [...failing].map(([name, why]) => `${name}: ${why}`).join('; ') }),
    checkNow,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

/** The shared engines a process uses: PostgreSQL when the store is on a server, Redis when the queue is BullMQ. */
export function engineChecks(store: { ping?(): Promise<void> }, queue: { kind: string; ping(): Promise<void> }): DependencyCheck[] {
  return [...(store.ping ? [{ name: 'PostgreSQL', ping: () => store.ping!() }] : []), ...(queue.kind === 'bullmq' ? [{ name: 'Redis', ping: () => queue.ping() }] : [])];
}
