import type { LogRecord, MetricSeries, Span, TimeWindow } from '../../model/telemetry.js';
import type { LogQuery, LogSource, MetricsQuery, MetricsSource, TraceQuery, TraceSource } from '../types.js';
import type { CumulativeState, MetricPointRecord } from './metrics.js';
import { Ring } from './ring.js';
import { type CallEdge, topologyFromSpans } from './topology.js';

/**
 * What the OTLP receiver holds: spans, log records and metric points in rings of fixed capacity, the oldest dropped
 * first when one is full or when an entry is older than the age limit (measured from receipt). The experts read it
 * through the ordinary connector interfaces, so an OTLP-fed deployment looks like any other source to them.
 */

export interface OtlpStoreLimits {
  maxSpans: number;
  maxLogs: number;
  maxPoints: number;
  /** entries received longer ago than this are dropped */
  maxAgeMinutes: number;
}

/** the OpenTelemetry Collector's default request limit (confighttp max_request_body_size) */
export const DEFAULT_OTLP_MAX_BODY_BYTES = 20 * 1024 * 1024;

export const DEFAULT_OTLP_LIMITS: OtlpStoreLimits = { maxSpans: 200_000, maxLogs: 200_000, maxPoints: 500_000, maxAgeMinutes: 180 };

export interface OtlpStoreStats {
  spans: number;
  logs: number;
  points: number;
  /** dropped by the bounds since start (size or age) */
  droppedSpans: number;
  droppedLogs: number;
  droppedPoints: number;
}

export class OtlpStore {
  private readonly spanRing: Ring<Span>;
  private readonly logRing: Ring<LogRecord>;
  private readonly pointRing: Ring<MetricPointRecord>;
  /** per-stream memory for cumulative histograms (at most MAX_CUMULATIVE_STREAMS, least recently seen forgotten first) */
  readonly cumulative: CumulativeState = new Map();

  readonly traces: TraceSource;
  readonly logs: LogSource;
  readonly metrics: MetricsSource;

  constructor(
    readonly limits: OtlpStoreLimits = DEFAULT_OTLP_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.spanRing = new Ring(limits.maxSpans);
    this.logRing = new Ring(limits.maxLogs);
    this.pointRing = new Ring(limits.maxPoints);
    this.traces = { spans: async (q) => this.spans(q) };
    this.logs = { read: async (q) => this.readLogs(q), services: async () => this.logServices() };
    this.metrics = { query: async (q) => this.queryMetrics(q), list: async () => this.listMetrics() };
  }

  addSpans(spans: readonly Span[]): void {
    const now = this.now();
    for (const s of spans) this.spanRing.push(s, now);
    this.spanRing.expire(this.cutoff(now));
  }

  addLogs(records: readonly LogRecord[]): void {
    const now = this.now();
    for (const r of records) this.logRing.push(r, now);
    this.logRing.expire(this.cutoff(now));
  }

  addPoints(points: readonly MetricPointRecord[]): void {
    const now = this.now();
    for (const p of points) this.pointRing.push(p, now);
    this.pointRing.expire(this.cutoff(now));
  }

  stats(): OtlpStoreStats {
    this.expireAll();
    return {
      spans: this.spanRing.length,
      logs: this.logRing.length,
      points: this.pointRing.length,
      droppedSpans: this.spanRing.dropped,
      droppedLogs: this.logRing.dropped,
      droppedPoints: this.pointRing.dropped,
    };
  }

  /** whether anything received is still held (the runtime's `auto` mode moves to real data on the first export) */
  hasData(): boolean {
    return this.spanRing.length + this.logRing.length + this.pointRing.length > 0;
  }

  /** spans that started in the window, optionally of one service */
  spans(q: TraceQuery): Span[] {
    this.expireAll();
    const out: Span[] = [];
    for (const s of this.spanRing) if (s.startMs >= q.fromMs && s.startMs < q.toMs && (!q.service || s.service === q.service)) out.push(s);
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  /** the service call graph of the spans that started in the window (see topologyFromSpans) */
  callGraph(window: TimeWindow): CallEdge[] {
    return topologyFromSpans(this.spans({ fromMs: window.fromMs, toMs: window.toMs }), window);
  }

  private readLogs(q: LogQuery): LogRecord[] {
    this.expireAll();
    const out: LogRecord[] = [];
    for (const r of this.logRing) if (r.ts >= q.fromMs && r.ts < q.toMs && (!q.service || r.service === q.service)) out.push(r);
    return out.sort((a, b) => a.ts - b.ts);
  }

  private logServices(): string[] {
    this.expireAll();
    const services = new Set<string>();
    for (const r of this.logRing) services.add(r.service);
    return [...services].sort();
  }

  private queryMetrics(q: MetricsQuery): MetricSeries[] {
    this.expireAll();
    const series = new Map<string, MetricSeries>();
    for (const p of this.pointRing) {
      if (p.ts < q.fromMs || p.ts >= q.toMs || (q.entity && p.entity !== q.entity) || (q.metric && p.metric !== q.metric)) continue;
      const key = `${p.entity}\u0000${p.metric}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { entity: p.entity, metric: p.metric, points: [] }));
      s.points.push({ ts: p.ts, value: p.value });
    }
    for (const s of series.values()) s.points.sort((a, b) => a.ts - b.ts);
    return [...series.values()];
  }

  private listMetrics(): { entity: string; metric: string }[] {
    this.expireAll();
    const seen = new Map<string, { entity: string; metric: string }>();
    for (const p of this.pointRing) seen.set(`${p.entity}\u0000${p.metric}`, { entity: p.entity, metric: p.metric });
    return [...seen.values()];
  }

  private cutoff(now: number): number {
    return now - this.limits.maxAgeMinutes * 60_000;
  }

  /** reads expire too: an idle receiver must not answer with what has aged out */
  private expireAll(): void {
    const cutoff = this.cutoff(this.now());
    this.spanRing.expire(cutoff);
    this.logRing.expire(cutoff);
    this.pointRing.expire(cutoff);
  }
}
