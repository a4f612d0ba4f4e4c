import { mad, median } from '../analytics/robust.js';
import type { RemediationPlan, Verification, VerificationTarget } from '../model/remediation.js';
import type { MetricSeries, TimeWindow } from '../model/telemetry.js';

export interface MetricsReader {
  query(q: { entity?: string; metric?: string; fromMs: number; toMs: number }): Promise<MetricSeries[]>;
}

/** How far a value may sit from the baseline's median and still count as normal: 3 robust sigmas, at least 5 %. */
export const baselineNoise = (base: number[], baseline = median(base)): number =>
  Math.max(3 * 1.4826 * mad(base, baseline), Math.abs(baseline) * 0.05, 1e-3);

/** Each entity/metric pair once, in first-seen order. */
export const dedupeTargets = <T extends { entity: string; metric: string }>(targets: T[]): T[] =>
  targets.filter((t, i) => targets.findIndex((o) => o.entity === t.entity && o.metric === t.metric) === i);

/** The values of one metric of one entity in a window (none when the source does not have it). */
export async function readValues(metrics: MetricsReader, entity: string, metric: string, w: TimeWindow): Promise<number[]> {
  const [series] = await metrics.query({ entity, metric, fromMs: w.fromMs, toMs: w.toMs });
  return series?.points.map((p) => p.value) ?? [];
}

export interface RecoveryWindows {
  baseline: TimeWindow;
  during: TimeWindow;
  after: TimeWindow;
}

/**
 * Recovery is judged on telemetry read again after the fix, never on the executor's word: each target metric must be
 * back near its healthy baseline (or beyond it, on the good side) — within the baseline's own noise, or most of the
 * way back from where the incident had taken it. A metric the source does not have gives no check.
 */
export async function checkTargets(targets: VerificationTarget[], metrics: MetricsReader, w: RecoveryWindows): Promise<Verification['checks']> {
  const checks: Verification['checks'] = [];
  for (const target of targets) {
    const read = (window: TimeWindow) => readValues(metrics, target.entity, target.metric, window);
    const [base, during, after] = await Promise.all([read(w.baseline), read(w.during), read(w.after)]);
    if (base.length === 0 || after.length === 0) continue;
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
  return checks;
}

export const allRecovered = (checks: Verification['checks']): boolean => checks.length > 0 && checks.every((c) => c.recovered);

/** The plan's verification: every target of the plan and of its steps, judged once, then grouped by step. */
export async function verifyRecovery(input: { plan: RemediationPlan; metrics: MetricsReader; now: number } & RecoveryWindows): Promise<Verification> {
  const targets = dedupeTargets([...input.plan.verification, ...input.plan.steps.flatMap((s) => s.verification)]);
  const checks = await checkTargets(targets, input.metrics, input);
  // a step whose metrics the source lacks cannot vote
  const steps = input.plan.steps
    .map((step) => {
      const own = checks.filter((c) => step.verification.some((t) => t.entity === c.entity && t.metric === c.metric));
      return { stepId: step.id, recovered: allRecovered(own), checks: own };
    })
    .filter((s) => s.checks.length > 0);
  return { planId: input.plan.id, checkedAt: input.now, recovered: allRecovered(checks), checks, steps };
}
