/**
 * Symptom alert rules (what a shop would page on) and the Alertmanager webhook payload. A rule fires when its
 * condition has held for its `for` duration (3-5 consecutive minutes); the first rule to fire after onset is the incident's alert.
 */
import type { Severity } from '../model/incident.js';
import { hashString } from './random.js';
import type { Frame } from './state.js';

export interface AlertRule {
  name: string;
  severity: Severity;
  labels: Record<string, string>; // service, team, …
  entity: string;
  metric: string; // the series the rule reads (checkout_latency_p95_ms is the web-frontend checkout route p95)
  op: '>' | '<';
  expr: string;
  runbook: string;
  value: (f: Frame) => number;
  threshold: (baseline: Frame[]) => number;
  unit: string;
  subject: string; // human wording of the series
  forMin: number; // the condition must hold this many consecutive minutes
}

export interface FiredAlert {
  rule: AlertRule;
  minute: number;
  value: number;
  threshold: number;
  forced: boolean; // fired by the max-delay guard rather than by a crossing
}

const obs = (entity: string, metric: string) => (f: Frame): number => f.obs.get(`${entity}|${metric}`) ?? 0;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export const RULES: AlertRule[] = [
  {
    name: 'PaymentSuccessRateLow', severity: 'critical', labels: { service: 'business', team: 'payments', kpi: 'payment_success_rate' },
    entity: 'business', metric: 'payment_success_rate', op: '<', expr: 'business payment_success_rate < 0.9 for 3m', runbook: 'rb-payment-success-rate',
    value: obs('business', 'payment_success_rate'), threshold: () => 0.9, unit: '', subject: 'payment success rate', forMin: 3,
  },
  {
    name: 'HighErrorRate', severity: 'critical', labels: { service: 'api-gateway', team: 'edge-platform' },
    entity: 'api-gateway', metric: 'error_rate', op: '>', expr: 'api-gateway error_rate > 0.05 for 3m', runbook: 'rb-high-error-rate',
    value: obs('api-gateway', 'error_rate'), threshold: () => 0.05, unit: '', subject: 'api-gateway error rate', forMin: 3,
  },
  {
    name: 'OrderRateLow', severity: 'high', labels: { service: 'business', team: 'checkout', kpi: 'orders_per_minute' },
    entity: 'business', metric: 'orders_per_minute', op: '<', expr: 'business orders_per_minute < 0.75 * avg_over_time(orders_per_minute[40m] offset 5m) for 4m', runbook: 'rb-order-rate-low',
    value: obs('business', 'orders_per_minute'), threshold: (b) => Math.round(0.75 * mean(b.map(obs('business', 'orders_per_minute')))), unit: '/min', subject: 'orders per minute', forMin: 4,
  },
  {
    name: 'CheckoutLatencyHigh', severity: 'high', labels: { service: 'web-frontend', team: 'storefront', route: '/api/checkout' },
    entity: 'web-frontend', metric: 'checkout_latency_p95_ms', op: '>', expr: 'web-frontend p95 latency of POST /api/checkout > threshold for 3m', runbook: 'rb-checkout-latency',
    value: (f) => f.checkoutP95, threshold: (b) => Math.max(1500, Math.ceil((2 * median(b.map((f) => f.checkoutP95))) / 100) * 100), unit: ' ms', subject: 'web-frontend checkout p95 latency', forMin: 3,
  },
  {
    name: 'FrontendLatencyHigh', severity: 'warning', labels: { service: 'web-frontend', team: 'storefront' },
    entity: 'web-frontend', metric: 'latency_p95_ms', op: '>', expr: 'web-frontend latency_p95_ms > threshold for 4m', runbook: 'rb-frontend-latency',
    value: obs('web-frontend', 'latency_p95_ms'), threshold: (b) => Math.max(300, Math.ceil((2.2 * median(b.map(obs('web-frontend', 'latency_p95_ms')))) / 50) * 50), unit: ' ms', subject: 'web-frontend p95 latency', forMin: 4,
  },
];

const breach = (r: AlertRule, v: number, t: number): boolean => (r.op === '>' ? v > t : v < t);
const ratio = (r: AlertRule, v: number, t: number): number => (r.op === '>' ? v / Math.max(1e-9, t) : t / Math.max(1e-9, v));

/** checks the rules at minute m (frames[0..m] exist); returns the alert that fires at m, if any */
export function evaluateAlert(frames: Frame[], onset: number, m: number, maxDelay: number): FiredAlert | undefined {
  if (m < onset + 3) return undefined;
  const baseline = frames.slice(Math.max(0, onset - 45), Math.max(1, onset - 5));
  let best: { rule: AlertRule; score: number; t: number } | undefined;
  for (const rule of RULES) {
    const t = rule.threshold(baseline);
    const win = frames.slice(Math.max(0, m - rule.forMin + 1), m + 1);
    const vals = win.map(rule.value);
    const cur = vals[vals.length - 1] ?? 0;
    if (vals.length === rule.forMin && vals.every((v) => breach(rule, v, t))) return { rule, minute: m, value: cur, threshold: t, forced: false };
    const score = Math.min(...vals.map((v) => ratio(rule, v, t)));
    if (!best || score > best.score) best = { rule, score, t };
  }
  if (m >= onset + maxDelay && best) {
    const f = frames[m];
    return { rule: best.rule, minute: m, value: f ? best.rule.value(f) : 0, threshold: best.t, forced: true };
  }
  return undefined;
}

const fmt = (rule: AlertRule, v: number): string =>
  rule.unit === ' ms' ? `${Math.round(v)} ms` : rule.metric.endsWith('rate') ? `${(v * 100).toFixed(1)}%` : `${Math.round(v)}${rule.unit}`;

/** Alertmanager webhook (version 4) for the fired alert */
export function alertPayload(a: FiredAlert, firedAtMs: number): Record<string, unknown> {
  const { rule } = a;
  const labels: Record<string, string> = { alertname: rule.name, severity: rule.severity, ...rule.labels, env: 'prod', cluster: 'shop-prod-eu' };
  const subject = rule.subject;
  const annotations = {
    summary: `${rule.name}: ${subject} is ${fmt(rule, a.value)} (threshold ${fmt(rule, a.threshold)})`,
    description: `${subject} has been ${rule.op === '>' ? 'above' : 'below'} ${fmt(rule, a.threshold)} for ${rule.forMin} minutes (now ${fmt(rule, a.value)}). Rule: ${rule.expr}.`,
    runbook_url: `https://runbooks.shop.internal/${rule.runbook}`,
  };
  const fingerprint = (hashString(JSON.stringify(labels)) >>> 0).toString(16).padStart(8, '0') + (hashString(rule.name) >>> 0).toString(16).padStart(8, '0');
  return {
    receiver: 'sre-copilot',
    status: 'firing',
    alerts: [{
      status: 'firing', labels, annotations,
      startsAt: new Date(firedAtMs).toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.shop.internal:9090/graph?g0.expr=${encodeURIComponent(rule.expr)}`,
      fingerprint,
    }],
    groupLabels: { alertname: rule.name },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.shop.internal:9093',
    version: '4',
    groupKey: `{}:{alertname="${rule.name}"}`,
    truncatedAlerts: 0,
  };
}
