import path from 'node:path';
import { detectAnomaly, type Direction, type MetricAnomaly } from '../analytics/metric-anomaly.js';
import type { MetricsSource } from '../connectors/types.js';
import type { MetricSeries } from '../model/telemetry.js';

/**
 * The built-in detection job: the golden signals of every service (errors, latency, traffic), host saturation and
 * business KPIs, each checked on its latest window against its own recent baseline with the robust detector the
 * experts use. A symptom opens at most one incident per component and signal; it is raised again only when it
 * escalates (warning → critical), and forgotten once the signal is back to normal.
 */
export interface WatchedSignal {
  metric: string;
  /** the direction that hurts */
  direction: Direction;
  label: string;
  alertname: string;
}

export const WATCHED_SIGNALS: WatchedSignal[] = [
  { metric: 'error_rate', direction: 'up', label: 'error rate', alertname: 'ErrorRateHigh' },
  { metric: 'latency_p95_ms', direction: 'up', label: 'p95 latency', alertname: 'LatencyHigh' },
  { metric: 'latency_p99_ms', direction: 'up', label: 'p99 latency', alertname: 'LatencyHigh' },
  { metric: 'throughput_rpm', direction: 'down', label: 'throughput', alertname: 'ThroughputDrop' },
  { metric: 'cpu_util', direction: 'up', label: 'CPU utilisation', alertname: 'CpuSaturation' },
  { metric: 'disk_util', direction: 'up', label: 'disk utilisation', alertname: 'DiskFilling' },
  { metric: 'pool_utilization', direction: 'up', label: 'connection-pool utilisation', alertname: 'PoolSaturation' },
  { metric: 'payment_success_rate', direction: 'down', label: 'payment success rate', alertname: 'PaymentSuccessRateLow' },
  { metric: 'orders_per_minute', direction: 'down', label: 'orders per minute', alertname: 'OrdersDrop' },
];

export interface DetectionOptions {
  /** minutes of the latest window (default 10) */
  windowMinutes?: number;
  /** minutes of baseline before it (default 60) */
  baselineMinutes?: number;
  /** the detector's score from which a change counts (default 0.35) and is critical (default 0.7) */
  minScore?: number;
  criticalScore?: number;
}

export interface Symptom {
  key: string;
  entity: string;
  signal: WatchedSignal;
  anomaly: MetricAnomaly;
  severity: 'warning' | 'critical';
  series: MetricSeries;
}

/** What is wrong now: one symptom per component and signal whose latest window left its baseline the bad way. */
export async function detectSymptoms(metrics: MetricsSource, now: number, opts: DetectionOptions = {}): Promise<Symptom[]> {
  const windowMs = (opts.windowMinutes ?? 10) * 60_000;
  const baselineMs = (opts.baselineMinutes ?? 60) * 60_000;
  const minScore = opts.minScore ?? 0.35;
  const critical = opts.criticalScore ?? 0.7;
  const window = { fromMs: now - windowMs, toMs: now + 1 };
  const baseline = { fromMs: now - windowMs - baselineMs, toMs: now - windowMs };
  const bySignal = new Map(WATCHED_SIGNALS.map((s) => [s.metric, s]));
  const listed = (await metrics.list()).filter((m) => bySignal.has(m.metric));
  const out: Symptom[] = [];
  for (const { entity, metric } of listed) {
    const signal = bySignal.get(metric)!;
    const [series] = await metrics.query({ entity, metric, fromMs: baseline.fromMs, toMs: window.toMs });
    if (!series) continue;
    const anomaly = detectAnomaly(series.points, baseline, window, { direction: signal.direction });
    if (!anomaly || anomaly.score < minScore) continue;
    out.push({ key: `${entity}|${metric}`, entity, signal, anomaly, severity: anomaly.score >= critical ? 'critical' : 'warning', series });
  }
  return out.sort((a, b) => b.anomaly.score - a.anomaly.score);
}

const fmt = (v: number) => (Math.abs(v) < 1 ? v.toFixed(3) : Math.abs(v) < 100 ? v.toFixed(1) : Math.round(v).toString());

/** The alert a symptom raises: a minimal JSON alert, identified by component and signal, dated at the onset. */
export function symptomAlert(s: Symptom): Record<string, unknown> {
  const a = s.anomaly;
  return {
    alertname: s.signal.alertname,
    severity: s.severity,
    service: s.entity,
    summary: `${s.signal.label} of ${s.entity} ${a.direction === 'up' ? 'up' : 'down'} ${fmt(a.baseline)} → ${fmt(a.current)} since ${new Date(a.onsetMs).toISOString().slice(11, 16)} UTC (found by scheduled detection; no alert had fired)`,
    startsAt: new Date(a.onsetMs).toISOString(),
    fingerprint: `detector:${s.key}`,
    labels: { detector: 'golden-signals', metric: s.signal.metric },
  };
}

/** Which symptoms deserve a message now: new ones, and open ones that escalated; what recovered is forgotten. */
export function triage(symptoms: Symptom[], open: Map<string, 'warning' | 'critical'>): Symptom[] {
  const now = new Set(symptoms.map((s) => s.key));
  for (const key of [...open.keys()]) if (!now.has(key)) open.delete(key);
  const raise: Symptom[] = [];
  for (const s of symptoms) {
    const before = open.get(s.key);
    if (before === undefined || (before === 'warning' && s.severity === 'critical')) raise.push(s);
    open.set(s.key, before === 'critical' ? 'critical' : s.severity);
  }
  return raise;
}

/** The chart that goes with a proactive finding: the signal over baseline and window, the onset marked. */
export async function symptomChart(s: Symptom, dir: string): Promise<string> {
  const { renderSeriesChart } = await import('../report/charts.js');
  const file = path.join(dir, `${s.entity}-${s.signal.metric}-${s.anomaly.onsetMs}.png`.replace(/[^\w.-]/g, '_'));
  await renderSeriesChart({ title: `${s.signal.label} of ${s.entity}`, series: [s.series], markers: [{ ts: s.anomaly.onsetMs, label: 'onset' }] }, file);
  return file;
}
