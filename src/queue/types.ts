/**
 * Work distribution: jobs by name, handled by whichever process runs a worker for them. In-process by default (one
 * process, nothing to operate); BullMQ on Redis when REDIS_URL is set, so that several processes share the work and a
 * job scheduled by every replica runs once per tick.
 */
export interface JobQueue {
  readonly kind: 'in-process' | 'bullmq';
  /** handles every job of `name` in this process (at most `concurrency` at once) */
  work<T>(name: string, handler: (data: T, job: JobInfo) => Promise<void>, opts?: { concurrency?: number }): void;
  /** enqueues a job; one whose `jobId` was already added is not added again (an idempotency key) */
  add<T>(name: string, data: T, opts?: { jobId?: string }): Promise<void>;
  /** a job of `name` on every cron tick — once per tick however many processes schedule it */
  schedule(name: string, cron: string): Promise<void>;
  /** resolves when the engine behind it answers (Redis), at once in-process; for /readyz */
  ping(): Promise<void>;
  /** jobs waiting or running, for /metrics: of the job names this process has used */
  depth(): Promise<number>;
  /** jobs of one name waiting or running, in every process (doctor) */
  depthOf(name: string): Promise<number>;
  /** stops taking jobs; the ones running finish first */
  close(): Promise<void>;
}

/** What a handler knows of its job: a job delivered again (its worker died, or it failed) has attempt > 1. */
export interface JobInfo {
  id: string | undefined;
  /** 1 the first time a worker takes it */
  attempt: number;
  /** when it was added (epoch ms) */
  enqueuedAt: number;
}
