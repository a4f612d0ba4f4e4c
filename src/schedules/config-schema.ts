import cron from 'node-cron';
import { z } from 'zod';
import { BUILT_IN_DETECTOR, WATCHED_SIGNALS } from './golden-signals.js';

/**
 * The `schedules:` section of the SRE-Copilot YAML config (SRE_COPILOT_CONFIG; docs/detection.md): detection jobs of
 * the deployment's own, next to the built-in golden-signals job. Each watches a few metrics (on all entities or on
 * those its `entities:` names) on its own cron schedule, with the built-in job's detector and, optionally, its own
 * thresholds. Validated here so that a mistake is reported with the file and the field at start-up.
 */

const MetricName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'metric names are snake_case, e.g. error_rate');
const BUILT_IN_METRICS = new Set(WATCHED_SIGNALS.map((s) => s.metric));

/** `error_rate` (a built-in signal, its direction known) or `{ metric: mem_util, direction: up, label?: … }`. */
const WatchedMetricSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { metric: v } : v),
  z
    .object({
      metric: MetricName,
      /** the direction that hurts; known for the built-in signals */
      direction: z.enum(['up', 'down']).optional(),
      /** how messages name it (default: the built-in label, else the metric name) */
      label: z.string().min(1).optional(),
    })
    .strict()
    .superRefine((m, ctx) => {
      if (m.direction === undefined && !BUILT_IN_METRICS.has(m.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['direction'],
          message: `${m.metric} is not a built-in signal (${[...BUILT_IN_METRICS].join(', ')}): say which direction hurts, e.g. { metric: ${m.metric}, direction: up }`,
        });
      }
    }),
);

const Score = z.number().gt(0).lt(1);

export const ScheduleJobSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'job names are kebab-case (lower-case letters, digits, single dashes), e.g. payments-kpis')
      .refine((n) => n !== BUILT_IN_DETECTOR, `${BUILT_IN_DETECTOR} is the built-in job (SRE_COPILOT_DETECT_CRON); choose another name`),
    cron: z.string(),
    description: z.string().min(1).optional(),
    metrics: z.array(WatchedMetricSchema).min(1, 'watch at least one metric'),
    /** entity names or globs (`*`, `?`): services, hosts, `business` for the KPIs, `caller->callee` for edges */
    entities: z.array(z.string().regex(/^\S+$/, 'an entity name or glob, without spaces')).min(1).optional(),
    windowMinutes: z.number().int().positive().max(24 * 60).optional(),
    baselineMinutes: z.number().int().positive().max(7 * 24 * 60).optional(),
    minScore: Score.optional(),
    criticalScore: Score.optional(),
  })
  .strict()
  .superRefine((job, ctx) => {
    // node-cron's own check: what it accepts here, the scheduler accepts at start-up
    if (!cron.validate(job.cron)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `"${job.cron}" is not a cron expression (5 fields, or 6 with seconds first, e.g. "*/5 * * * *")` });
    }
    if ((job.criticalScore ?? 0.7) < (job.minScore ?? 0.35)) {
      ctx.addIssue({ code: 'custom', path: ['criticalScore'], message: `below minScore (${job.minScore ?? 0.35}): a critical change is at least a change` });
    }
    const seen = new Set<string>();
    job.metrics.forEach((m, i) => {
      if (seen.has(m.metric)) ctx.addIssue({ code: 'custom', path: ['metrics', i], message: `${m.metric} is listed twice` });
      seen.add(m.metric);
    });
  });
export type ScheduleJobConfig = z.infer<typeof ScheduleJobSchema>;

export const SchedulesSectionSchema = z.array(ScheduleJobSchema).superRefine((jobs, ctx) => {
  const first = new Map<string, number>();
  jobs.forEach((job, i) => {
    const before = first.get(job.name);
    if (before !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${job.name}" is already the name of schedules.${before}` });
    else first.set(job.name, i);
  });
});
