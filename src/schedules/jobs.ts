import path from 'node:path';
import type { MetricsSource } from '../connectors/types.js';
import { type DetectionOptions, type Symptom, detectSymptoms, symptomChart, triage } from './golden-signals.js';
import type { ScheduledJob } from './scheduler.js';

/** What detection jobs work with: the metrics, the data's clock, and where a symptom is raised (the chat). */
export interface DetectionContext {
  metrics: MetricsSource;
  now(): number;
  /** opens the incident for a symptom (with its chart, when one could be drawn) and starts its investigation */
  raise(symptom: Symptom, chart: string | null): Promise<void>;
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
      const raised = triage(symptoms, ctx.open);
      for (const s of raised) {
        const chart = await symptomChart(s, path.join(ctx.chartsDir, 'detections')).catch(() => null);
        await ctx.raise(s, chart);
      }
      const names = raised.map((s) => `${s.signal.label} of ${s.entity} (${s.severity})`);
      return { summary: `${symptoms.length} symptom(s) open; raised ${raised.length}${names.length ? `: ${names.join(', ')}` : ''}` };
    },
  };
}

/** The built-in jobs for this configuration (none when detection is switched off). */
export function builtInJobs(detectCron: string | null): ScheduledJob<DetectionContext>[] {
  return detectCron ? [goldenSignalsJob(detectCron)] : [];
}
