import path from 'node:path';
import type { MetricsSource } from '../connectors/types.js';
import { type DetectionOptions, type Symptom, detectSymptoms, symptomChart, triage } from './golden-signals.js';
import type { ScheduledJob } from './scheduler.js';

/**
 * One detection run's news: every symptom open now (correlated symptoms are one incident: they travel as one alert
 * group, the strongest leading), those that are new or escalated since the last run (with their charts), and the
 * ones that recovered since (when nothing is left open, the group is resolved and its incident closed).
 */
export interface DetectionNews {
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
  chartsDir: string;
  /** component|signal → severity last raised; kept across runs so that one symptom raises one incident */
  open: Map<string, 'warning' | 'critical'>;
  detection?: DetectionOptions;
}

export function goldenSignalsJob(cron: string): ScheduledJob<DetectionContext> {
  return {
    name: 'golden-signals',
    description: 'error rate, latency, throughput per service; host saturation; business KPIs — new symptoms open an incident',
    cron,
    async run(ctx) {
      const symptoms = await detectSymptoms(ctx.metrics, ctx.now(), ctx.detection);
      const before = new Set(ctx.open.keys());
      const raised = triage(symptoms, ctx.open);
      const recovered = [...before].filter((key) => !ctx.open.has(key));
      if (raised.length > 0 || recovered.length > 0) {
        const charted = [];
        for (const symptom of raised) charted.push({ symptom, chart: await symptomChart(symptom, path.join(ctx.chartsDir, 'detections')).catch(() => null) });
        await ctx.raise({ current: symptoms, raised: charted, recovered });
      }
      const names = raised.map((s) => `${s.signal.label} of ${s.entity} (${s.severity})`);
      return { summary: `${symptoms.length} symptom(s) open; raised ${raised.length}${names.length ? `: ${names.join(', ')}` : ''}${recovered.length ? `; recovered ${recovered.length}` : ''}` };
    },
  };
}

/** The built-in jobs for this configuration (none when detection is switched off). */
export function builtInJobs(detectCron: string | null): ScheduledJob<DetectionContext>[] {
  return detectCron ? [goldenSignalsJob(detectCron)] : [];
}
