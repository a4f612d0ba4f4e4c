import { mad, median } from '../analytics/robust.js';
import type { RemediationPlan, Verification } from '../model/remediation.js';
import type { MetricSeries, TimeWindow } from '../model/telemetry.js';

interface MetricsReader {
  query(q: { entity?: string; metric?: string; fromMs: number; toMs: number }): Promise<MetricSeries[]>;
}

/** How far a value may sit from the baseline's median and still count as normal: 3 robust sigmas, at least 5 %. */
export const baselineNoise = (base: number[], baseline = median(base)): number =>
  Math.max(3 * 1.4826 * mad(base, baseline), Math.abs(baseline) * 0.05, 1e-3);

/**
 * Recovery is judged on telemetry read again after the fix, never on the executor's word: each verification metric
 * must be back near its healthy baseline (or beyond it, on the good side) — within the baseline's own noise, or most
 * of the way back from where the incident had taken it.
 */
export async function verifyRecovery(input: {
  plan: RemediationPlan;
  metrics: MetricsReader;
  baseline: TimeWindow;
  during: TimeWindow;
  after: TimeWindow;
  now: number;
}): Promise<Verification> {
  const checks: Verification['checks'] = [];
  const all = [...input.plan.verification, ...input.plan.steps.flatMap((s) => s.verification)];
  const targets = all.filter((t, i) => all.findIndex((o) => o.entity === t.entity && o.metric === t.metric) === i);
  for (const target of targets) {
    const read = async (w: TimeWindow) => {
      const [series] = await input.metrics.query({ entity: target.entity, metric: target.metric, fromMs: w.fromMs, toMs: w.toMs });
      return series?.points.map((p) => p.value) ?? [];
    };
    const [base, during, after] = await Promise.all([read(input.baseline), read(input.during), read(input.after)]);
    if (base.length === 0 || after.length === 0) continue; // a metric the source does not have cannot vote
    const baseline = median(base);
    const noise = baselineNoise(base, baseline);
    const duringValue = during.length > 0 ? median(during) : baseline;
    const afterValue = median(after);
    // Only the bad direction counts: CPU below its old baseline after a scale-out is recovery, not a new anomaly.
    const badDirection = Math.sign(duringValue - baseline) || 1;
    const remaining = (afterValue - baseline) * badDirection;
    const wasAffected = Math.abs(duringValue - baseline) > noise;
    const recovered = wasAffected
      ? remaining <= noise || remaining <= 0.2 * Math.abs(duringValue - baseline)
      : Math.abs(afterValue - baseline) <= 2 * noise; // never degraded: it only must not have moved since
    checks.push({ entity: target.entity, metric: target.metric, baseline, during: duringValue, after: afterValue, recovered });
  }
  // Each step is judged on its own targets, from the same reads; a step whose metrics the source lacks cannot vote.
  const steps = input.plan.steps
    .map((step) => {
      const own = checks.filter((c) => step.verification.some((t) => t.entity === c.entity && t.metric === c.metric));
      return { stepId: step.id, recovered: own.length > 0 && own.every((c) => c.recovered), checks: own };
    })
    .filter((s) => s.checks.length > 0);
  return { planId: input.plan.id, checkedAt: input.now, recovered: checks.length > 0 && checks.every((c) => c.recovered), checks, steps };
}
