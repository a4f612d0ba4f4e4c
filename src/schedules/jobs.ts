import type { MetricsSource } from '../connectors/types.js';
import { BUILT_IN_DETECTOR, type DetectionOptions, type DetectionScope, type Symptom, WATCHED_SIGNALS, detectSymptoms, symptomChart, triage } from './golden-signals.js';
import type { ScheduledJob } from './scheduler.js';

/**
 * One detection run's news: every symptom open now (correlated symptoms are one incident: they travel as one alert
 * group, the strongest leading), those that are new or escalated since the last run (with their charts), and the
 * ones that recovered since (when nothing is left open, the group is resolved and its incident closed).
 */
export interface DetectionNews {
  /** the job whose run this is (default golden-signals): each job's news is its own alert group */
  job?: string;
  current: Symptom[];
  raised: { symptom: Symptom; chart: string | null }[];
  recovered: string[];
}

/** What detection jobs work with: the metrics, the data's clock, and where symptoms are raised (the chat). */
export interface DetectionContext {
  metrics: MetricsSource;
  now(): number;
  /** opens (or updates, or closes) the detection's incident and starts its investigation */
  raise(news: DetectionNews): Promise<void>;
  /** where the charts of raised symptoms are written (serve: $SRE_COPILOT_HOME/detections) */
  chartsDir: string;
  /**
   * component|signal → severity last raised by the built-in job; kept across runs so that one symptom raises one
   * incident. Jobs of the config file keep their own (a symptom one job raised is news to another).
   */
  open: Map<string, 'warning' | 'critical'>;
  detection?: DetectionOptions;
}

/** A detection job: which signals on which entities, and where it keeps the symptoms it has raised. */
export interface DetectionJobSpec {
  name: string;
  description: string;
  cron: string;
  scope: DetectionScope;
  /** its own thresholds and windows, over the context's */
  detection?: DetectionOptions;
  /** the symptoms it has raised (component|signal → severity) */
  open(ctx: DetectionContext): Map<string, 'warning' | 'critical'>;
}

export function detectionJob(spec: DetectionJobSpec): ScheduledJob<DetectionContext> {
  return {
    name: spec.name,
    description: spec.description,
    cron: spec.cron,
    async run(ctx) {
      const open = spec.open(ctx);
      const symptoms = await detectSymptoms(ctx.metrics, ctx.now(), { ...ctx.detection, ...spec.detection }, { ...spec.scope, detector: spec.name });
      const before = new Set(open.keys());
      const raised = triage(symptoms, open);
      const recovered = [...before].filter((key) => !open.has(key));
      if (raised.length > 0 || recovered.length > 0) {
        const charted = [];
        for (const symptom of raised) charted.push({ symptom, chart: await symptomChart(symptom, ctx.chartsDir).catch(() => null) });
        await ctx.raise({ job: spec.name, current: symptoms, raised: charted, recovered });
      }
      const names = raised.map((s) => `${s.signal.label} of ${s.entity} (${s.severity})`);
      return { summary: `${symptoms.length} symptom(s) open; raised ${raised.length}${names.length ? `: ${names.join(', ')}` : ''}${recovered.length ? `; recovered ${recovered.length}` : ''}` };
    },
  };
}

export function goldenSignalsJob(cron: string): ScheduledJob<DetectionContext> {
  return detectionJob({
    name: BUILT_IN_DETECTOR,
    description: 'error rate, latency, throughput per service; host saturation; business KPIs — new symptoms open an incident',
    cron,
    scope: { signals: WATCHED_SIGNALS },
    open: (ctx) => ctx.open,
  });
}

/** The built-in jobs for this configuration (none when detection is switched off). */
export function builtInJobs(detectCron: string | null): ScheduledJob<DetectionContext>[] {
  return detectCron ? [goldenSignalsJob(detectCron)] : [];
}
