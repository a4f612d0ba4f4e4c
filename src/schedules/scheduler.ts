import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobQueue } from '../queue/types.js';
import cron, { type ScheduledTask } from 'node-cron';
import { z } from 'zod';

/**
 * Scheduled jobs on node-cron. A tick that finds the previous run of its job still going is skipped (never stacked).
 * A failing job (a source down, say) backs off — 1, 2, 4 … up to 30 minutes between tries — and is reported once
 * when it starts failing and once when it recovers, not at every tick. Each job's last run is kept in a small state
 * file so that `sre-copilot schedules` (another process) can say when it last ran and how it went.
 */
export interface JobRun {
  /** one line for `schedules` and the log */
  summary: string;
}

export interface ScheduledJob<C> {
  name: string;
  description: string;
  cron: string;
  run(ctx: C): Promise<JobRun>;
}

export const JobStateSchema = z.object({
  cron: z.string(),
  description: z.string(),
  lastRunAt: z.number().optional(),
  lastResult: z.string().optional(),
  lastError: z.string().optional(),
  failures: z.number().int().min(0).default(0),
  backoffUntil: z.number().optional(),
  skippedOverlaps: z.number().int().min(0).default(0),
});
export type JobState = z.infer<typeof JobStateSchema>;
const StateFileSchema = z.record(z.string(), JobStateSchema);

const MAX_BACKOFF_MS = 30 * 60_000;

export class Scheduler<C> {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<string>();
  private readonly state = new Map<string, JobState>();

  constructor(
    private readonly jobs: ScheduledJob<C>[],
    private readonly ctx: C,
    private readonly stateFile: string,
    private readonly log: (line: string) => void,
    private readonly clock: () => number = Date.now,
  ) {
    for (const job of jobs) {
      if (!cron.validate(job.cron)) throw new Error(`job ${job.name}: "${job.cron}" is not a cron expression`);
      this.state.set(job.name, { cron: job.cron, description: job.description, failures: 0, skippedOverlaps: 0 });
    }
  }

  /**
   * Ticks from node-cron in this process, or — with a shared queue (BullMQ on Redis) — from the queue's job schedulers,
   * so that N replicas of serve run each tick once between them.
   */
  async start(queue?: JobQueue): Promise<void> {
    for (const job of this.jobs) {
      if (queue && queue.kind !== 'in-process') {
        const name = `schedule-${job.name}`;
        queue.work(name, async () => void (await this.tick(job.name)));
        await queue.schedule(name, job.cron);
        continue;
      }
      const task = cron.schedule(job.cron, () => this.tick(job.name), { name: job.name, noOverlap: true });
      this.tasks.push(task);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks.length = 0;
  }

  /** One tick of `name`: skipped while its previous run goes on or while it backs off; never throws. */
  async tick(name: string): Promise<'ran' | 'failed' | 'overlap' | 'backoff'> {
    const job = this.jobs.find((j) => j.name === name);
    const state = this.state.get(name);
    if (!job || !state) throw new Error(`no job ${name}`);
    if (this.running.has(name)) {
      state.skippedOverlaps++;
      return 'overlap';
    }
    const now = this.clock();
    if (state.backoffUntil !== undefined && now < state.backoffUntil) return 'backoff';
    this.running.add(name);
    try {
      const result = await job.run(this.ctx);
      if (state.failures > 0) this.log(`schedules: ${name} works again after ${state.failures} failed run(s)`);
      Object.assign(state, { lastRunAt: now, lastResult: result.summary, failures: 0 });
      delete state.lastError;
      delete state.backoffUntil;
      return 'ran';
    } catch (err) {
      state.failures++;
      state.lastRunAt = now;
      state.lastError = err instanceof Error ? err.message : String(err);
      const wait = Math.min(MAX_BACKOFF_MS, 60_000 * 2 ** (state.failures - 1));
      state.backoffUntil = now + wait;
      if (state.failures === 1) this.log(`schedules: ${name} failed: ${state.lastError}; retrying with back-off (next try in ${Math.round(wait / 60_000)} min), reported once until it recovers`);
      return 'failed';
    } finally {
      this.running.delete(name);
      await this.save().catch((err: unknown) => this.log(`schedules: could not save the job state: ${(err as Error).message}`));
    }
  }

  snapshot(): Record<string, JobState> {
    return Object.fromEntries([...this.state].map(([k, v]) => [k, { ...v }]));
  }

  private async save(): Promise<void> {
    await mkdir(path.dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(this.snapshot(), null, 2)}\n`);
    await rename(tmp, this.stateFile);
  }
}

/** The jobs as `sre-copilot schedules` shows them: last run from the state file, next run from the cron expression. */
export async function listSchedules(jobs: { name: string; cron: string; description: string }[], stateFile: string, now = new Date()) {
  const raw = await readFile(stateFile, 'utf8').catch(() => '{}');
  const parsed = StateFileSchema.safeParse(JSON.parse(raw || '{}'));
  const saved = parsed.success ? parsed.data : {};
  return jobs.map((job) => {
    const s = saved[job.name];
    // the schedule serve last ran it on wins over this process's configuration, which may differ
    const schedule = s && cron.validate(s.cron) ? s.cron : job.cron;
    const task = cron.createTask(schedule, () => undefined);
    const next = task.getNextRuns(2).find((d) => d.getTime() > now.getTime()) ?? null;
    void task.destroy();
    return {
      name: job.name,
      cron: schedule,
      description: job.description,
      lastRunAt: s?.lastRunAt ?? null,
      lastResult: s?.lastError ? `failing (${s.failures}×): ${s.lastError}` : (s?.lastResult ?? null),
      nextRunAt: next ? next.getTime() : null,
    };
  });
}
