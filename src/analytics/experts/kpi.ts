import type { Finding } from '../../model/evidence.js';
import type { MetricPoint, MetricSeries, TimeWindow } from '../../model/telemetry.js';
import { detectAnomaly } from '../metric-anomaly.js';
import { median, quantile, robustScale, theilSen } from '../robust.js';
import type { ExpertContext } from './types.js';
import { finalize, fmtChange, fmtValue, fullRange, hhmm } from './util.js';

/** minimum relative drop worth reporting, per KPI (default 10 %) */
const MIN_DROP: Record<string, number> = { payment_success_rate: 0.03, orders_per_minute: 0.1, transaction_amount: 0.1 };

export interface KpiExpectation {
  /** expected value at time t (baseline level, or its trend line clamped to the baseline's range) */
  expected(t: number): number;
  /** robust scale of the baseline residuals */
  scale: number;
  level: number;
  trending: boolean;
}

/**
 * What a KPI should be without the incident: the baseline median, or, when the baseline trends clearly (e.g. the
 * morning ramp-up), its Theil–Sen line extrapolated and clamped to the baseline's own 5–95 % range ±10 %.
 */
export function kpiExpectation(points: readonly MetricPoint[], baseline: TimeWindow): KpiExpectation | null {
  const b = points.filter((p) => p.ts >= baseline.fromMs && p.ts < baseline.toMs);
  if (b.length < 5) return null;
  const vals = b.map((p) => p.value);
  const level = median(vals);
  const fit = theilSen(b.map((p) => p.ts), vals);
  const resid = b.map((p) => p.value - (fit.intercept + fit.slope * p.ts));
  const flatScale = robustScale(vals, { relFloor: 0.01 });
  const trendScale = robustScale(resid, { minScale: 0.01 * Math.abs(level) });
  const span = b[b.length - 1]!.ts - b[0]!.ts;
  const trending = Math.abs(fit.slope * span) > 3 * trendScale && trendScale < 0.8 * flatScale;
  if (!trending) return { expected: () => level, scale: flatScale, level, trending };
  const lo = quantile(vals, 0.05);
  const hi = quantile(vals, 0.95);
  const pad = 0.1 * Math.abs(hi - lo || level);
  return {
    expected: (t) => Math.min(hi + pad, Math.max(lo - pad, fit.intercept + fit.slope * t)),
    scale: trendScale,
    level,
    trending,
  };
}

/**
 * Expert 'kpi' (TradeAgent): business KPI drops (orders per minute, payment success rate, transaction amount)
 * against the baseline, on residuals from the baseline's level or trend so a normal ramp is not a drop.
 */
export async function kpiExpert(ctx: ExpertContext): Promise<Finding[]> {
  const series = await ctx.connectors.metrics.query({ entity: 'business', ...fullRange(ctx) });
  const out: Finding[] = [];
  for (const s of series) {
    const f = kpiFinding(ctx, s);
    if (f) out.push(f);
  }
  return finalize(out);
}

function kpiFinding(ctx: ExpertContext, s: MetricSeries): Finding | null {
  const exp = kpiExpectation(s.points, ctx.baseline);
  if (!exp) return null;
  const resid = s.points.map((p) => ({ ts: p.ts, value: p.value - exp.expected(p.ts) }));
  const minDrop = MIN_DROP[s.metric] ?? 0.1;
  const a = detectAnomaly(resid, ctx.baseline, ctx.window, {
    direction: 'down',
    minScale: exp.scale,
    relFloor: 0,
    minRelChange: 0,
    minAbsChange: minDrop * Math.abs(exp.level),
  });
  if (!a) return null;
  const win = s.points.filter((p) => p.ts >= a.onsetMs && p.ts < ctx.window.toMs);
  const actual = median(win.map((p) => p.value));
  const expected = median(win.map((p) => exp.expected(p.ts)));
  const low = Math.min(...win.map((p) => p.value));
  const v = (x: number) => fmtValue(s.metric, x);
  const drop = expected ? (expected - actual) / Math.abs(expected) : 0;
  const evidence = [
    `${s.metric} ${v(expected)} → ${v(actual)} (${fmtChange(expected, actual)}) from ${hhmm(a.onsetMs)}`,
    `lowest ${v(low)}; normal band ${v(expected - 3 * exp.scale)}–${v(expected + 3 * exp.scale)}${exp.trending ? ' (trend-adjusted)' : ''}`,
  ];
  return {
    id: `kpi:${s.metric}`,
    expert: 'kpi',
    component: 'business',
    signal: s.metric,
    anomaly: 'kpi_drop',
    summary: `${s.metric.replace(/_/g, ' ')} dropped ${(drop * 100).toFixed(0)}% below normal from ${hhmm(a.onsetMs)}`,
    evidence,
    score: Math.max(a.score, Math.min(1, drop * 2)) * (a.kind === 'spike' ? 0.7 : 1),
    onsetMs: a.onsetMs,
    direction: 'down',
    faultHints: [],
    series: { entity: 'business', metric: s.metric },
  };
}
