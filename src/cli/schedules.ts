import path from 'node:path';
import type { Config } from '../config.js';
import { scheduledJobs } from '../schedules/file-jobs.js';
import { listSchedules } from '../schedules/scheduler.js';

/** Where `serve` keeps its jobs' last runs, for this command to read from another process. */
export const schedulesStateFile = (config: Config) => path.join(config.home, 'schedules.json');

/** The built-in job and the config file's (a bad file is said on stderr; the built-in job is still listed). */
export async function printSchedules(config: Config, opts: { json?: boolean }, now = new Date()): Promise<void> {
  const jobs = scheduledJobs(config, (line) => process.stderr.write(`${line}\n`));
  const rows = await listSchedules(jobs, schedulesStateFile(config), now);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ jobs: rows }, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`No scheduled jobs: SRE_COPILOT_DETECT_CRON=off${config.sources?.configFile ? ' and no `schedules:` in the config file' : ''}.\n`);
    return;
  }
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
  for (const r of rows) {
    process.stdout.write(`${r.name}  (${r.cron})  ${r.description}\n  last run: ${iso(r.lastRunAt)}${r.lastResult ? ` — ${r.lastResult}` : r.lastRunAt === null ? ' (serve has not run it yet)' : ''}\n  next run: ${iso(r.nextRunAt)} UTC (while serve runs)\n`);
  }
}
