import path from 'node:path';
import type { Config } from '../config.js';
import { builtInJobs } from '../schedules/jobs.js';
import { listSchedules } from '../schedules/scheduler.js';

/** Where `serve` keeps its jobs' last runs, for this command to read from another process. */
export const schedulesStateFile = (config: Config) => path.join(config.home, 'schedules.json');

export async function printSchedules(config: Config, opts: { json?: boolean }): Promise<void> {
  const rows = await listSchedules(builtInJobs(config.detectCron ?? null), schedulesStateFile(config));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ jobs: rows }, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('No scheduled jobs: SRE_COPILOT_DETECT_CRON=off.\n');
    return;
  }
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
  for (const r of rows) {
    process.stdout.write(`${r.name}  (${r.cron})  ${r.description}\n  last run: ${iso(r.lastRunAt)}${r.lastResult ? ` — ${r.lastResult}` : r.lastRunAt === null ? ' (serve has not run it yet)' : ''}\n  next run: ${iso(r.nextRunAt)} UTC (while serve runs)\n`);
  }
}
