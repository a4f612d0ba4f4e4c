import { z } from 'zod';
import type { Span } from '../../model/telemetry.js';
import { OtlpExportSchema, otlpToSpans } from '../files/traces.js';
import { DataSourceError, type TraceQuery, type TraceSource } from '../types.js';
import { HttpJsonClient, mapBounded, type HttpSourceOptions } from '../loki/http-client.js';

/**
 * A TraceSource over Grafana Tempo's HTTP API (https://grafana.com/docs/tempo/latest/api_docs/):
 * `GET /api/search?tags=service.name=…&start=…&end=…&limit=…` (seconds) finds trace ids, then
 * `GET /api/traces/<traceID>` returns each trace as OTLP JSON, which the file connector's OTLP mapping turns into Spans.
 */
export interface TempoTraceSourceOptions extends HttpSourceOptions {
  /** traces per spans() call (Tempo's search `limit`); each is one more request; default 100 */
  maxTraces?: number;
  /** trace-by-id requests in flight at once; default 4 */
  concurrency?: number;
}

export const TEMPO_DEFAULT_MAX_TRACES = 100;
const DEFAULT_CONCURRENCY = 4;

const SearchResponse = z
  .object({
    traces: z
      .array(
        z
          .object({
            traceID: z.string().regex(/^[0-9a-fA-F]{1,32}$/, 'a hex trace id'),
            rootServiceName: z.string().optional(),
            startTimeUnixNano: z.string().optional(),
          })
          .loose(),
      )
      .nullish(),
  })
  .loose();

/**
 * Trace by id, as Tempo versions answer it: {batches:[…]} (v1 API), {resourceSpans:[…]} or {trace:{resourceSpans}}
 * (v2 API); inside, scopeSpans or the older instrumentationLibrarySpans.
 */
const ResourceSpansSchema = z
  .object({
    resource: z.unknown().optional(),
    scopeSpans: z.array(z.object({ spans: z.array(z.record(z.string(), z.unknown())).nullish() }).loose()).nullish(),
    instrumentationLibrarySpans: z
      .array(z.object({ spans: z.array(z.record(z.string(), z.unknown())).nullish() }).loose())
      .nullish(),
  })
  .loose();
const TraceBody = z
  .object({
    batches: z.array(ResourceSpansSchema).nullish(),
    resourceSpans: z.array(ResourceSpansSchema).nullish(),
    trace: z.object({ batches: z.array(ResourceSpansSchema).nullish(), resourceSpans: z.array(ResourceSpansSchema).nullish() }).loose().nullish(),
  })
  .loose();
type TraceBodyT = z.infer<typeof TraceBody>;

export function createTempoTraceSource(opts: TempoTraceSourceOptions): TempoTraceSource {
  return new TempoTraceSource(opts);
}

export class TempoTraceSource implements TraceSource {
  private readonly http: HttpJsonClient;
  private readonly maxTraces: number;
  private readonly concurrency: number;

  constructor(opts: TempoTraceSourceOptions) {
    this.http = new HttpJsonClient('traces', opts);
    this.maxTraces = positiveInt(opts.maxTraces, TEMPO_DEFAULT_MAX_TRACES);
    this.concurrency = positiveInt(opts.concurrency, DEFAULT_CONCURRENCY);
  }

  /** Spans that start in [fromMs, toMs), of the given service when one is named, from at most maxTraces traces. */
  async spans(q: TraceQuery): Promise<Span[]> {
    if (!(q.toMs > q.fromMs)) return [];
    const window = { start: Math.floor(q.fromMs / 1000), end: Math.ceil(q.toMs / 1000) };
    const found = await this.http.get(
      '/api/search',
      { ...window, limit: this.maxTraces, tags: q.service !== undefined ? `service.name=${logfmtValue(q.service)}` : undefined },
      SearchResponse,
    );
    const ids = [...new Set((found.traces ?? []).map((t) => t.traceID))].slice(0, this.maxTraces);
    const traces = await mapBounded(ids, this.concurrency, (id) =>
      // a trace the search saw may be gone by now (retention, compaction): 404 skips it
      this.http.get(`/api/traces/${encodeURIComponent(id)}`, window, TraceBody, 'null'),
    );
    const out: Span[] = [];
    traces.forEach((body, i) => {
      if (!body) return;
      for (const s of this.toSpans(body, ids[i]!)) {
        if (s.startMs < q.fromMs || s.startMs >= q.toMs) continue;
        if (q.service !== undefined && s.service !== q.service) continue;
        out.push(s);
      }
    });
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  private toSpans(body: TraceBodyT, traceId: string): Span[] {
    const batches = body.batches ?? body.resourceSpans ?? body.trace?.batches ?? body.trace?.resourceSpans ?? [];
    const doc = OtlpExportSchema.safeParse({
      resourceSpans: batches.map((b) => ({
        resource: b.resource,
        scopeSpans: [...(b.scopeSpans ?? []), ...(b.instrumentationLibrarySpans ?? [])].map((ss) => ({
          spans: (ss.spans ?? []).map(hexIds),
        })),
      })),
    });
    if (!doc.success) {
      const u = this.http.url(`/api/traces/${traceId}`);
      const issue = doc.error.issues[0];
      throw new DataSourceError('traces', `${u.origin}${u.pathname}`, 'invalid', `not OTLP JSON at ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return otlpToSpans(doc.data);
  }
}

/** Tempo's JSON carries ids as protobuf-JSON base64 (16/8 bytes); the rest of the project speaks lowercase hex. */
function hexIds(span: Record<string, unknown>): Record<string, unknown> {
  const out = { ...span };
  for (const key of ['traceId', 'spanId', 'parentSpanId'] as const) {
    const v = out[key];
    if (typeof v === 'string') out[key] = toHexId(v, key === 'traceId' ? 16 : 8);
  }
  if (out['parentSpanId'] === '') delete out['parentSpanId'];
  return out;
}

export function toHexId(id: string, bytes: 16 | 8): string {
  if (id === '' || (id.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(id))) return id.toLowerCase();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(id)) {
    const raw = Buffer.from(id, 'base64');
    if (raw.length === bytes) return raw.toString('hex');
  }
  return id;
}

/** logfmt quoting for a tag value: bare when it is one plain token, else a quoted string */
function logfmtValue(v: string): string {
  return /^[^\s"=\\]+$/.test(v) ? v : JSON.stringify(v);
}

function positiveInt(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}
