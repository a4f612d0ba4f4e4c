import type { MetricSeries } from '../../model/telemetry.js';
import { DataSourceError, type MetricsQuery, type MetricsSource, type SourceDiagnostics } from '../types.js';
import { PrometheusClient, type PromResult } from './client.js';
import { effectiveTemplates, type PrometheusSection, type PrometheusSectionInput, PrometheusSectionSchema } from './config-file.js';
import {
  alignRange,
  chooseStep,
  entityOf,
  kindsForEntity,
  type MetricTemplate,
  parseEdge,
  renderTemplate,
} from './promql.js';

/** Service labels tried in order when none is configured (OpenTelemetry's, a common custom one, Prometheus' own). */
export const SERVICE_LABEL_CANDIDATES = ['service_name', 'service', 'job'] as const;
/** queries in flight at once against the server */
const CONCURRENCY = 4;
/**
 * One investigation reads the same range several times (the metrics, traces and changes experts, the onset estimate):
 * identical range queries within this long share one answer.
 */
const RANGE_ANSWER_TTL_MS = 15_000;
const RANGE_ANSWER_CACHE_SIZE = 256;

export interface PrometheusMetricsConfig extends Omit<PrometheusSectionInput, 'url'> {
  url: string;
  fetch?: typeof fetch;
}

export interface CallEdge {
  caller: string;
  callee: string;
}

/**
 * A MetricsSource over the Prometheus HTTP API that yields the same entity/metric vocabulary as the file connector
 * (docs/telemetry-format.md), so the expert agents read Prometheus without knowing it. Services are named by the
 * service label, hosts by node-exporter's instance without its port, call edges "caller->callee", KPIs "business".
 *
 * A query runs every template that can answer it; a template the server rejects (a bad PromQL override, a missing
 * function) is recorded in diagnostics and the others still answer, but when every one fails — the server is down —
 * the first DataSourceError is thrown.
 */
export class PrometheusMetricsSource implements MetricsSource {
  readonly client: PrometheusClient;
  readonly templates: readonly MetricTemplate[];
  private readonly settings: PrometheusSection;
  private serviceLabel: Promise<string> | undefined;
  private readonly problems: string[] = [];
  private readonly recentAnswers = new Map<string, { at: number; answer: Promise<PromResult> }>();
  private records = 0;

  constructor(config: PrometheusMetricsConfig) {
    const { url, fetch: doFetch, ...rest } = config;
    this.settings = PrometheusSectionSchema.parse({ ...rest, url });
    this.client = new PrometheusClient({
      url,
      timeoutMs: this.settings.timeoutMs,
      maxSeries: this.settings.maxSeries,
      maxResponseBytes: this.settings.maxResponseBytes,
      ...(doFetch ? { fetch: doFetch } : {}),
    });
    this.templates = effectiveTemplates(this.settings);
    if (this.settings.serviceLabel) this.serviceLabel = Promise.resolve(this.settings.serviceLabel);
  }

  /**
   * The label that names services: the configured one, else the first of service_name, service, job that the server
   * knows. Discovered once; a failed discovery is retried on the next query.
   */
  resolveServiceLabel(): Promise<string> {
    this.serviceLabel ??= this.client.labels().then(
      (names) => SERVICE_LABEL_CANDIDATES.find((c) => names.includes(c)) ?? 'job',
      (e: unknown) => {
        this.serviceLabel = undefined;
        throw e;
      },
    );
    return this.serviceLabel;
  }

  async query(q: MetricsQuery): Promise<MetricSeries[]> {
    const kinds = kindsForEntity(q.entity);
    const templates = this.templates.filter((t) => kinds.includes(t.kind) && (q.metric === undefined || t.metric === q.metric));
    if (templates.length === 0) return [];
    const stepMs = chooseStep(q.fromMs, q.toMs, this.settings.step, this.settings.maxPoints);
    const range = alignRange(q.fromMs, q.toMs, stepMs);
    if (!range) return [];
    const serviceLabel = await this.resolveServiceLabel();
    const results = await mapLimit(templates, CONCURRENCY, async (t) => {
      const promql = renderTemplate(t, { serviceLabel, stepMs, rateWindowMs: this.settings.rateWindow, ...(q.entity ? { entity: q.entity } : {}) });
      try {
        const answer = await this.queryRangeShared(promql, range.startMs, range.endMs, stepMs);
        if (answer.dropped > 0) this.note(`${t.kind} ${t.metric}: ${answer.dropped} series over maxSeries=${this.settings.maxSeries} dropped`);
        return { ok: true as const, series: this.toSeries(t, serviceLabel, answer.series, q) };
      } catch (e) {
        if (!(e instanceof DataSourceError)) throw e;
        this.note(`${t.kind} ${t.metric}: ${e.message}`);
        return { ok: false as const, error: e };
      }
    });
    const failed = results.filter((r) => !r.ok);
    if (failed.length === results.length && failed[0]) throw failed[0].error;
    return results.flatMap((r) => (r.ok ? r.series : []));
  }

  /** The entity/metric pairs the server has now (an instant query per template). */
  async list(): Promise<{ entity: string; metric: string }[]> {
    const serviceLabel = await this.resolveServiceLabel();
    const step = this.settings.step;
    const results = await mapLimit(this.templates, CONCURRENCY, async (t) => {
      const promql = renderTemplate(t, { serviceLabel, stepMs: step, rateWindowMs: this.settings.rateWindow });
      try {
        return { ok: true as const, answer: await this.client.query(promql) };
      } catch (e) {
        if (!(e instanceof DataSourceError)) throw e;
        return { ok: false as const, error: e };
      }
    });
    const failed = results.filter((r) => !r.ok);
    if (failed.length === results.length && failed[0]) throw failed[0].error;
    const seen = new Set<string>();
    const out: { entity: string; metric: string }[] = [];
    results.forEach((r, i) => {
      if (!r.ok) return;
      const t = this.templates[i]!;
      for (const s of r.answer.series) {
        const entity = entityOf(t.kind, serviceLabel, s.labels);
        if (entity === null || seen.has(`${entity}\u0000${t.metric}`)) continue;
        seen.add(`${entity}\u0000${t.metric}`);
        out.push({ entity, metric: t.metric });
      }
    });
    return out;
  }

  /** The call graph from client metrics alone: who called whom in the range (caller service → server_address). */
  async callGraph(fromMs: number, toMs: number): Promise<CallEdge[]> {
    const series = await this.query({ metric: 'throughput_rpm', fromMs, toMs });
    return series
      .map((s) => parseEdge(s.entity))
      .filter((e): e is CallEdge => e !== null)
      .sort((a, b) => a.caller.localeCompare(b.caller) || a.callee.localeCompare(b.callee));
  }

  diagnostics(): SourceDiagnostics[] {
    return [{ path: this.settings.url ?? this.client.options.url, records: this.records, skipped: this.problems.length }];
  }

  /** What went wrong in past queries (rejected templates, dropped series), newest last, at most 50. */
  warnings(): string[] {
    return [...this.problems];
  }

  private toSeries(t: MetricTemplate, serviceLabel: string, raw: { labels: Record<string, string>; points: MetricSeries['points'] }[], q: MetricsQuery): MetricSeries[] {
    const out: MetricSeries[] = [];
    for (const s of raw) {
      const entity = entityOf(t.kind, serviceLabel, s.labels);
      if (entity === null || (q.entity !== undefined && entity !== q.entity)) continue;
      const points = s.points.filter((p) => p.ts >= q.fromMs && p.ts < q.toMs);
      if (points.length === 0) continue;
      this.records += points.length;
      out.push({ entity, metric: t.metric, points });
    }
    return mergeSameEntity(out);
  }

  private queryRangeShared(promql: string, startMs: number, endMs: number, stepMs: number): Promise<PromResult> {
    const now = Date.now();
    for (const [k, v] of this.recentAnswers) if (now - v.at > RANGE_ANSWER_TTL_MS) this.recentAnswers.delete(k);
    const key = `${startMs}|${endMs}|${stepMs}|${promql}`;
    const hit = this.recentAnswers.get(key);
    if (hit) return hit.answer;
    const answer = this.client.queryRange(promql, startMs, endMs, stepMs);
    // failures are not remembered: the next read tries again
    answer.catch(() => this.recentAnswers.delete(key));
    if (this.recentAnswers.size >= RANGE_ANSWER_CACHE_SIZE) this.recentAnswers.delete(this.recentAnswers.keys().next().value!);
    this.recentAnswers.set(key, { at: now, answer });
    return answer;
  }

  private note(problem: string): void {
    this.problems.push(problem);
    if (this.problems.length > 50) this.problems.shift();
  }
}

export function createPrometheusMetricsSource(config: PrometheusMetricsConfig): PrometheusMetricsSource {
  return new PrometheusMetricsSource(config);
}

/**
 * Series of one template that land on the same entity (two exporters on one host, both `up`) combine point by point
 * with the minimum: the host is down when any of its targets is.
 */
function mergeSameEntity(series: MetricSeries[]): MetricSeries[] {
  const byKey = new Map<string, MetricSeries>();
  for (const s of series) {
    const key = `${s.entity}\u0000${s.metric}`;
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, s);
      continue;
    }
    const at = new Map(prev.points.map((p) => [p.ts, p.value]));
    for (const p of s.points) at.set(p.ts, Math.min(at.get(p.ts) ?? Infinity, p.value));
    byKey.set(key, { ...prev, points: [...at].map(([ts, value]) => ({ ts, value })).sort((a, b) => a.ts - b.ts) });
  }
  return [...byKey.values()];
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
