import { decodeProtobuf, type Decoded, type OtlpEncoding, parseJson, serviceOf, zodValidator } from './decode.js';
import { MetricJsonSchema, MetricsRequestJsonSchema } from './json-schema.js';
import { attributesToRecord, int64ToNumber, type Int64Like, type KeyValueLike, nanosToMs } from './values.js';

/**
 * OTLP metrics → the project's series vocabulary, modestly: gauges and sums keep their OTLP name (one point per data
 * point, the service from service.name); the HTTP server duration histogram (http.server.request.duration, or the
 * older http.server.duration) also yields latency_p95_ms, error_rate and throughput_rpm per service, the series the
 * experts and alert rules read. Other histograms and exponential histograms and summaries are not mapped.
 */

export interface MetricPointRecord {
  entity: string;
  metric: string;
  ts: number;
  value: number;
}

interface NumberPointLike {
  attributes?: (KeyValueLike | null)[] | null;
  timeUnixNano?: Int64Like | null;
  asDouble?: number | string | null;
  asInt?: Int64Like | null;
  /** protobufjs: which member of the `value` oneof is set */
  value?: unknown;
}
interface HistogramPointLike {
  attributes?: (KeyValueLike | null)[] | null;
  startTimeUnixNano?: Int64Like | null;
  timeUnixNano?: Int64Like | null;
  count?: Int64Like | null;
  bucketCounts?: (Int64Like | null)[] | null;
  explicitBounds?: number[] | null;
}
interface MetricLike {
  name?: string | null;
  unit?: string | null;
  gauge?: { dataPoints?: NumberPointLike[] | null } | null;
  sum?: { dataPoints?: NumberPointLike[] | null } | null;
  histogram?: { dataPoints?: HistogramPointLike[] | null; aggregationTemporality?: number | string | null } | null;
}
interface MetricsRequestLike {
  resourceMetrics?: ({ resource?: { attributes?: (KeyValueLike | null)[] | null } | null; scopeMetrics?: ({ metrics?: unknown[] | null } | null)[] | null } | null)[] | null;
}

/** the last cumulative histogram point per stream, so cumulative counts become per-interval ones */
export type CumulativeState = Map<string, { ts: number; count: number; buckets: number[] }>;

/** distinct cumulative histogram streams remembered (service × metric × attribute set) */
export const MAX_CUMULATIVE_STREAMS = 10_000;
const HTTP_DURATION = new Set(['http.server.request.duration', 'http.server.duration']);
const CUMULATIVE = new Set<unknown>([2, 'AGGREGATION_TEMPORALITY_CUMULATIVE']);

export function decodeMetrics(body: Uint8Array, encoding: OtlpEncoding, cumulative: CumulativeState): Decoded<MetricPointRecord> {
  const out: Decoded<MetricPointRecord> = { items: [], rejected: 0 };
  const request = (encoding === 'json' ? parseJson(body, MetricsRequestJsonSchema) : decodeProtobuf(body, 'metricsRequest')) as MetricsRequestLike;
  const validate = encoding === 'json' ? zodValidator<MetricLike>(MetricJsonSchema) : (m: unknown) => ({ ok: true as const, record: m as MetricLike });
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const service = serviceOf(resourceMetrics?.resource);
    for (const scope of resourceMetrics?.scopeMetrics ?? []) {
      for (const raw of scope?.metrics ?? []) {
        const checked = validate(raw);
        if (!checked.ok) {
          out.rejected++;
          out.rejectReason ??= `metric: ${checked.reason}`;
          continue;
        }
        const metric = checked.record;
        const name = metric.name ?? '';
        for (const p of [...(metric.gauge?.dataPoints ?? []), ...(metric.sum?.dataPoints ?? [])]) {
          const value = numberPointValue(p);
          if (Number.isFinite(value)) out.items.push({ entity: service, metric: name, ts: nanosToMs(p.timeUnixNano), value });
        }
        if (metric.histogram && HTTP_DURATION.has(name)) {
          const isCumulative = CUMULATIVE.has(metric.histogram.aggregationTemporality);
          out.items.push(...httpServerSeries(service, name, metric.unit ?? '', metric.histogram.dataPoints ?? [], isCumulative, cumulative));
        }
      }
    }
  }
  return out;
}

function numberPointValue(p: NumberPointLike): number {
  const which = typeof p.value === 'string' ? p.value : p.asInt !== undefined && p.asInt !== null ? 'asInt' : 'asDouble';
  return which === 'asInt' ? int64ToNumber(p.asInt) : Number(p.asDouble ?? Number.NaN);
}

interface Interval {
  ts: number;
  minutes: number;
  count: number;
  errors: number;
  bounds: number[];
  buckets: number[];
}

/** all data points of one export (one per route / status code) summed per timestamp into one interval per service */
function httpServerSeries(
  service: string,
  name: string,
  unit: string,
  points: readonly HistogramPointLike[],
  isCumulative: boolean,
  state: CumulativeState,
): MetricPointRecord[] {
  const toMs = unit === 's' ? 1000 : unit === 'us' ? 0.001 : 1;
  const byTs = new Map<number, Interval>();
  for (const p of points) {
    const ts = nanosToMs(p.timeUnixNano);
    const attributes = attributesToRecord(p.attributes);
    const status = Number(attributes['http.response.status_code'] ?? attributes['http.status_code'] ?? 0);
    let count = int64ToNumber(p.count);
    let buckets = (p.bucketCounts ?? []).map((b) => int64ToNumber(b));
    let startMs = nanosToMs(p.startTimeUnixNano);
    if (isCumulative) {
      const key = `${service}\u0000${name}\u0000${JSON.stringify(attributes)}`;
      const previous = state.get(key);
      state.delete(key);
      state.set(key, { ts, count, buckets });
      // streams that stop reporting would otherwise stay forever: forget the least recently seen beyond the cap
      if (state.size > MAX_CUMULATIVE_STREAMS) state.delete(state.keys().next().value as string);
      // a restarted producer starts its counts again from zero: the first point after that is read as a whole interval
      if (previous && previous.ts < ts && previous.count <= count) {
        count -= previous.count;
        buckets = buckets.map((b, i) => b - (previous.buckets[i] ?? 0));
        startMs = previous.ts;
      }
    }
    const interval = byTs.get(ts) ?? { ts, minutes: Math.max((ts - startMs) / 60_000, 1 / 60), count: 0, errors: 0, bounds: (p.explicitBounds ?? []).map((b) => b * toMs), buckets: [] };
    interval.count += count;
    if (status >= 500) interval.errors += count;
    buckets.forEach((b, i) => (interval.buckets[i] = (interval.buckets[i] ?? 0) + b));
    byTs.set(ts, interval);
  }
  const out: MetricPointRecord[] = [];
  for (const i of byTs.values()) {
    out.push({ entity: service, metric: 'throughput_rpm', ts: i.ts, value: i.count / i.minutes });
    if (i.count === 0) continue;
    out.push({ entity: service, metric: 'error_rate', ts: i.ts, value: i.errors / i.count });
    const p95 = bucketQuantile(i.bounds, i.buckets, 0.95);
    if (p95 !== undefined) out.push({ entity: service, metric: 'latency_p95_ms', ts: i.ts, value: p95 });
  }
  return out;
}

/**
 * The q-quantile from explicit-bucket counts, interpolating linearly inside the bucket it falls in (as Prometheus's
 * histogram_quantile does); the last, unbounded bucket answers with its lower bound.
 */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return bounds[bounds.length - 1];
}
