import type { Config } from '../config.js';
import { loadCopilotFileConfig } from '../connectors/prometheus/config-file.js';
import type { ScheduleJobConfig } from './config-schema.js';
import { WATCHED_SIGNALS, type WatchedSignal, entityMatcher } from './golden-signals.js';
import { builtInJobs, type DetectionContext, detectionJob } from './jobs.js';
import type { ScheduledJob } from './scheduler.js';

/**
 * The detection jobs of the config file's `schedules:` section (docs/detection.md), run by the same machinery as the
 * built-in golden-signals job: the same detector, triage and charts, raised through the same context, each job with
 * its own memory of what it raised and its own alert group (its incident resolves on its own).
 */

const BUILT_IN = new Map(WATCHED_SIGNALS.map((s) => [s.metric, s]));
const pascal = (metric: string) => metric.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

/** A metric of a job as a watched signal: a built-in one keeps its label and alert name unless the file says else. */
export function watchedSignal(m: ScheduleJobConfig['metrics'][number]): WatchedSignal {
  const known = BUILT_IN.get(m.metric);
  const direction = m.direction ?? known?.direction;
  // the schema makes a direction required where none is known
  if (!direction) throw new Error(`${m.metric}: no direction`);
  return {
    metric: m.metric,
    direction,
    label: m.label ?? known?.label ?? m.metric.replace(/_/g, ' '),
    alertname: known && known.direction === direction ? known.alertname : `${pascal(m.metric)}${direction === 'up' ? 'High' : 'Low'}`,
  };
}

export function fileJob(job: ScheduleJobConfig): ScheduledJob<DetectionContext> {
  const signals = job.metrics.map(watchedSignal);
  const open = new Map<string, 'warning' | 'critical'>();
  const detection = {
    ...(job.windowMinutes !== undefined ? { windowMinutes: job.windowMinutes } : {}),
    ...(job.baselineMinutes !== undefined ? { baselineMinutes: job.baselineMinutes } : {}),
    ...(job.minScore !== undefined ? { minScore: job.minScore } : {}),
    ...(job.criticalScore !== undefined ? { criticalScore: job.criticalScore } : {}),
  };
  return detectionJob({
    name: job.name,
    description: job.description ?? `${signals.map((s) => s.label).join(', ')}${job.entities ? ` of ${job.entities.join(', ')}` : ''}`,
    cron: job.cron,
    scope: { signals, ...(job.entities ? { entities: entityMatcher(job.entities) } : {}) },
    detection,
    open: () => open,
  });
}

/**
 * Every scheduled job of this configuration: the built-in one (unless SRE_COPILOT_DETECT_CRON=off) and the config
 * file's. A file that cannot be read or is invalid does not stop detection: `warn` hears one line about it and the
 * built-in job runs alone (the Prometheus source, which reads the same file, reports it loudly at start-up).
 */
export function scheduledJobs(config: Pick<Config, 'detectCron' | 'sources'>, warn: (line: string) => void = () => undefined): ScheduledJob<DetectionContext>[] {
  const builtIn = builtInJobs(config.detectCron ?? null);
  const file = config.sources?.configFile;
  if (!file) return builtIn;
  try {
    return [...builtIn, ...loadCopilotFileConfig(file).schedules.map(fileJob)];
  } catch (err) {
    warn(`schedules: the config file's jobs are not scheduled: ${(err as Error).message}; ${builtIn.length > 0 ? 'the built-in golden-signals job runs alone' : 'no job runs'}`);
    return builtIn;
  }
}
