import path from 'node:path';
import { detectAnomaly, type Direction, type MetricAnomaly } from '../analytics/metric-anomaly.js';
import type { MetricsSource } from '../connectors/types.js';
import type { MetricSeries } from '../model/telemetry.js';

/**
 * The built-in detection job: the golden signals of every service (errors, latency, traffic), host saturation and
 * business KPIs, each checked on its latest window against its own recent baseline with the robust detector the
 * experts use. A symptom opens at most one incident per component and signal; it is raised again only when it
 * escalates (warning → critical), and forgotten once the signal is back to normal. The config file's detection jobs
 * (file-jobs.ts) use the same detection with their own signals, entity filter and thresholds (DetectionScope).
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
  /** entity|metric: unique within one job (each job keeps its own open symptoms) */
  key: string;
  /** the job that found it (golden-signals, or a job of the config file's `schedules:`) */
  detector: string;
  entity: string;
  signal: WatchedSignal;
  anomaly: MetricAnomaly;
  severity: 'warning' | 'critical';
  series: MetricSeries;
}

/** What a detection job watches: which signals, on which entities (all when no filter), under which name. */
export interface DetectionScope {
  /** default WATCHED_SIGNALS */
  signals?: readonly WatchedSignal[];
  /** default every entity that has one of the signals */
  entities?: (entity: string) => boolean;
  /** the job's name, carried by its symptoms (default golden-signals) */
  detector?: string;
}

export const BUILT_IN_DETECTOR = 'golden-signals';

/** What is wrong now: one symptom per component and signal whose latest window left its baseline the bad way. */
export async function detectSymptoms(metrics: MetricsSource, now: number, opts: DetectionOptions = {}, scope: DetectionScope = {}): Promise<Symptom[]> {
  const windowMs = (opts.windowMinutes ?? 10) * 60_000;
  const baselineMs = (opts.baselineMinutes ?? 60) * 60_000;
  const minScore = opts.minScore ?? 0.35;
  const critical = opts.criticalScore ?? 0.7;
  const detector = scope.detector ?? BUILT_IN_DETECTOR;
  const window = { fromMs: now - windowMs, toMs: now + 1 };
  const baseline = { fromMs: now - windowMs - baselineMs, toMs: now - windowMs };
  const bySignal = new Map((scope.signals ?? WATCHED_SIGNALS).map((s) => [s.metric, s]));
  const wanted = scope.entities ?? (() => true);
  const listed = (await metrics.list()).filter((m) => bySignal.has(m.metric) && wanted(m.entity));
  const out: Symptom[] = [];
  for (const { entity, metric } of listed) {
    const signal = bySignal.get(metric)!;
    const [series] = await metrics.query({ entity, metric, fromMs: baseline.fromMs, toMs: window.toMs });
    if (!series) continue;
    const anomaly = detectAnomaly(series.points, baseline, window, { direction: signal.direction });
    if (!anomaly || anomaly.score < minScore) continue;
    out.push({ key: `${entity}|${metric}`, detector, entity, signal, anomaly, severity: anomaly.score >= critical ? 'critical' : 'warning', series });
  }
  return out.sort((a, b) => b.anomaly.score - a.anomaly.score);
}

/** Names or simple globs (`*` any run of characters, `?` one) → a test of an entity name. */
export function entityMatcher(patterns: readonly string[]): (entity: string) => boolean {
  const toRegExp = (glob: string) => {
    const escaped = glob.replace(/[.+^$(){}|[\]\\]/g, '\\$&');
    return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  };
  const res = patterns.map(toRegExp);
  return (entity) => res.some((re) => re.test(entity));
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
    // the built-in job's fingerprints predate file jobs; a file job's carry its name, so that two jobs watching one
    // signal each keep (and resolve) their own alert
    fingerprint: s.detector === BUILT_IN_DETECTOR ? `detector:${s.key}` : `detector:${s.detector}:${s.key}`,
    labels: { detector: s.detector, metric: s.signal.metric },
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
