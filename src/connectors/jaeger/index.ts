import { z } from 'zod';
import type { Span } from '../../model/telemetry.js';
import { DataSourceError, type TraceQuery, type TraceSource } from '../types.js';
import { HttpJsonClient, mapBounded, type HttpSourceOptions } from '../loki/http-client.js';

/**
 * A TraceSource over Jaeger's query service HTTP API (the JSON API the Jaeger UI uses, port 16686:
 * https://www.jaegertracing.io/docs/latest/apis/#http-json-internal): `GET /api/services` and
 * `GET /api/traces?service=…&start=…&end=…&limit=…` (microseconds). Jaeger needs a service per trace search, so a
 * query without one searches each service in turn.
 */
export interface JaegerTraceSourceOptions extends HttpSourceOptions {
  /** traces per spans() call in all (and Jaeger's `limit` per search); default 200 */
  maxTraces?: number;
  /** services searched by a query without a service; default 50 (the rest are named in no result) */
  maxServices?: number;
}

export const JAEGER_DEFAULT_MAX_TRACES = 200;
export const JAEGER_DEFAULT_MAX_SERVICES = 50;

/** Jaeger's envelope: {data, total, limit, offset, errors} */
const envelope = <T extends z.ZodType>(data: T) =>
  z
    .object({
      data: data.nullable(),
      errors: z.array(z.object({ code: z.number().optional(), msg: z.string() }).loose()).nullish(),
    })
    .loose();

const TagSchema = z
  .object({ key: z.string(), type: z.string().optional(), value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional() })
  .loose();
const JaegerSpanSchema = z
  .object({
    traceID: z.string().min(1),
    spanID: z.string().min(1),
    operationName: z.string(),
    references: z.array(z.object({ refType: z.string(), traceID: z.string(), spanID: z.string() }).loose()).nullish(),
    startTime: z.number().nonnegative().describe('microseconds since the epoch'),
    duration: z.number().nonnegative().describe('microseconds'),
    tags: z.array(TagSchema).nullish(),
    processID: z.string().optional(),
    process: z.object({ serviceName: z.string() }).loose().optional(),
  })
  .loose();
const JaegerTraceSchema = z
  .object({
    traceID: z.string(),
    spans: z.array(JaegerSpanSchema),
    processes: z.record(z.string(), z.object({ serviceName: z.string(), tags: z.array(TagSchema).nullish() }).loose()).nullish(),
  })
  .loose();
export type JaegerTrace = z.infer<typeof JaegerTraceSchema>;
const ServicesResponse = envelope(z.array(z.string()));
const TracesResponse = envelope(z.array(JaegerTraceSchema));

export function createJaegerTraceSource(opts: JaegerTraceSourceOptions): JaegerTraceSource {
  return new JaegerTraceSource(opts);
}

export class JaegerTraceSource implements TraceSource {
  private readonly http: HttpJsonClient;
  private readonly maxTraces: number;
  private readonly maxServices: number;

  constructor(opts: JaegerTraceSourceOptions) {
    this.http = new HttpJsonClient('traces', opts);
    this.maxTraces = positiveInt(opts.maxTraces, JAEGER_DEFAULT_MAX_TRACES);
    this.maxServices = positiveInt(opts.maxServices, JAEGER_DEFAULT_MAX_SERVICES);
  }

  async services(): Promise<string[]> {
    const res = await this.http.get('/api/services', {}, ServicesResponse);
    this.failOnErrors('/api/services', res.errors);
    return [...new Set(res.data ?? [])].sort();
  }

  /** Spans that start in [fromMs, toMs), of the given service when one is named, from at most maxTraces traces. */
  async spans(q: TraceQuery): Promise<Span[]> {
    if (!(q.toMs > q.fromMs)) return [];
    const services = q.service !== undefined ? [q.service] : (await this.services()).slice(0, this.maxServices);
    const traces = new Map<string, JaegerTrace>();
    // One search at a time once the cap is near would be exact; a few in flight is faster and the cap still holds.
    await mapBounded(services, 4, async (service) => {
      if (traces.size >= this.maxTraces) return;
      const res = await this.http.get(
        '/api/traces',
        {
          service,
          start: Math.floor(q.fromMs * 1000),
          end: Math.ceil(q.toMs * 1000),
          limit: this.maxTraces,
        },
        TracesResponse,
      );
      this.failOnErrors('/api/traces', res.errors);
      for (const t of res.data ?? []) {
        if (traces.size >= this.maxTraces) break;
        if (!traces.has(t.traceID)) traces.set(t.traceID, t);
      }
    });
    const out: Span[] = [];
    for (const t of traces.values()) {
      for (const s of jaegerTraceToSpans(t)) {
        if (s.startMs < q.fromMs || s.startMs >= q.toMs) continue;
        if (q.service !== undefined && s.service !== q.service) continue;
        out.push(s);
      }
    }
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  /** Jaeger can answer 200 with errors in the envelope (e.g. one storage shard failed): say so rather than half-answer */
  private failOnErrors(apiPath: string, errors: { code?: number | undefined; msg: string }[] | null | undefined): void {
    if (!errors || errors.length === 0) return;
    const u = this.http.url(apiPath);
    const detail = errors.map((e) => (e.code ? `${e.code} ${e.msg}` : e.msg)).join('; ');
    throw new DataSourceError('traces', `${u.origin}${u.pathname}`, 'unreadable', detail);
  }
}

const KINDS: Record<string, Span['kind']> = {
  server: 'SERVER',
  client: 'CLIENT',
  producer: 'PRODUCER',
  consumer: 'CONSUMER',
  internal: 'INTERNAL',
};

/** One Jaeger trace → Spans: service from the processes map, parent from the CHILD_OF (else first) reference. */
export function jaegerTraceToSpans(trace: JaegerTrace): Span[] {
  const out: Span[] = [];
  for (const s of trace.spans) {
    const service = (s.processID ? trace.processes?.[s.processID]?.serviceName : undefined) ?? s.process?.serviceName ?? 'unknown';
    const attributes: Span['attributes'] = {};
    for (const tag of s.tags ?? []) {
      if (tag.type === 'binary' || tag.value === null || tag.value === undefined) continue;
      attributes[tag.key] = tag.type === 'int64' || tag.type === 'float64' ? Number(tag.value) : tag.value;
    }
    const refs = s.references ?? [];
    const parent = refs.find((r) => r.refType === 'CHILD_OF') ?? refs[0];
    const span: Span = {
      traceId: s.traceID,
      spanId: s.spanID,
      service,
      name: s.operationName,
      kind: KINDS[String(attributes['span.kind'] ?? '').toLowerCase()] ?? 'INTERNAL',
      startMs: s.startTime / 1000,
      endMs: (s.startTime + s.duration) / 1000,
      status: statusOf(attributes),
      attributes,
    };
    if (parent) span.parentSpanId = parent.spanID;
    out.push(span);
  }
  return out;
}

/** OpenTelemetry's status when the exporter recorded it, else Jaeger's `error` tag, else an HTTP 5xx. */
function statusOf(attributes: Span['attributes']): Span['status'] {
  const otel = String(attributes['otel.status_code'] ?? '').toUpperCase();
  if (otel === 'ERROR') return 'ERROR';
  if (otel === 'OK') return 'OK';
  const error = attributes['error'];
  if (error === true || error === 'true') return 'ERROR';
  const http = Number(attributes['http.status_code'] ?? attributes['http.response.status_code']);
  if (Number.isFinite(http) && http >= 500) return 'ERROR';
  return 'UNSET';
}

function positiveInt(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}
