import { join } from 'node:path';
import { z } from 'zod';
import type { Span } from '../../model/telemetry.js';
import type { SourceDiagnostics, TraceQuery, TraceSource } from '../types.js';
import { lines, lowerBound, ParsedFileCache, type Parsed } from './cache.js';

/** OTLP/JSON (ExportTraceServiceRequest), only the fields we use; everything else passes through. */
const AnyValueSchema = z
  .object({
    stringValue: z.string().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
    boolValue: z.boolean().optional(),
  })
  .loose();
const KeyValueSchema = z.object({ key: z.string(), value: AnyValueSchema.optional() }).loose();
const NanosSchema = z.union([z.string().regex(/^\d+$/), z.number().nonnegative()]);
const OtlpSpanSchema = z
  .object({
    traceId: z.string().min(1),
    spanId: z.string().min(1),
    parentSpanId: z.string().optional(),
    name: z.string(),
    kind: z.union([z.number().int(), z.string()]).optional(),
    startTimeUnixNano: NanosSchema,
    endTimeUnixNano: NanosSchema,
    attributes: z.array(KeyValueSchema).optional(),
    status: z.object({ code: z.union([z.number().int(), z.string()]).optional() }).loose().optional(),
  })
  .loose();
export const OtlpExportSchema = z
  .object({
    resourceSpans: z.array(
      z
        .object({
          resource: z.object({ attributes: z.array(KeyValueSchema).optional() }).loose().optional(),
          scopeSpans: z.array(z.object({ spans: z.array(OtlpSpanSchema).optional() }).loose()).optional(),
        })
        .loose(),
    ),
  })
  .loose();
export type OtlpExport = z.infer<typeof OtlpExportSchema>;

const KINDS: Record<string, Span['kind']> = {
  '1': 'INTERNAL',
  '2': 'SERVER',
  '3': 'CLIENT',
  '4': 'PRODUCER',
  '5': 'CONSUMER',
  SPAN_KIND_INTERNAL: 'INTERNAL',
  SPAN_KIND_SERVER: 'SERVER',
  SPAN_KIND_CLIENT: 'CLIENT',
  SPAN_KIND_PRODUCER: 'PRODUCER',
  SPAN_KIND_CONSUMER: 'CONSUMER',
};

function anyValue(v: z.infer<typeof AnyValueSchema> | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

function nanosToMs(n: string | number): number {
  if (typeof n === 'number') return n / 1e6;
  // keep microsecond precision without losing integer precision on 19-digit nanosecond strings
  return Number(BigInt(n) / 1000n) / 1000;
}

function statusOf(code: number | string | undefined): Span['status'] {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'ERROR';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'OK';
  return 'UNSET';
}

/** Flattens one OTLP export into our Span shape. */
export function otlpToSpans(doc: OtlpExport): Span[] {
  const out: Span[] = [];
  for (const rs of doc.resourceSpans) {
    let service = 'unknown';
    for (const kv of rs.resource?.attributes ?? []) {
      if (kv.key === 'service.name') service = String(anyValue(kv.value) ?? service);
    }
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const attributes: Span['attributes'] = {};
        for (const kv of s.attributes ?? []) {
          const v = anyValue(kv.value);
          if (v !== undefined) attributes[kv.key] = v;
        }
        const span: Span = {
          traceId: s.traceId,
          spanId: s.spanId,
          service,
          name: s.name,
          kind: KINDS[String(s.kind ?? 1)] ?? 'INTERNAL',
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          status: statusOf(s.status?.code),
          attributes,
        };
        if (s.parentSpanId) span.parentSpanId = s.parentSpanId;
        out.push(span);
      }
    }
  }
  return out;
}

/** Parses spans.jsonl: one OTLP export per line; a line that is not valid JSON or OTLP is skipped and counted. */
export function parseSpansJsonl(text: string): Parsed<Span[]> {
  const out: Span[] = [];
  let skipped = 0;
  let records = 0;
  for (const line of lines(text)) {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const doc = OtlpExportSchema.safeParse(raw);
    if (!doc.success) {
      skipped++;
      continue;
    }
    const spans = otlpToSpans(doc.data);
    records += spans.length;
    for (const s of spans) out.push(s);
  }
  out.sort((a, b) => a.startMs - b.startMs);
  return { value: out, records, skipped };
}

export class FileTraceSource implements TraceSource {
  private readonly cache = new ParsedFileCache<Span[]>('traces', (t) => parseSpansJsonl(t));
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, 'traces', 'spans.jsonl');
  }

  /** Spans that start in [fromMs, toMs), optionally of one service. */
  async spans(q: TraceQuery): Promise<Span[]> {
    const all = await this.cache.get(this.path);
    const from = lowerBound(all, q.fromMs, (s: Span) => s.startMs);
    const to = lowerBound(all, q.toMs, (s: Span) => s.startMs);
    const out: Span[] = [];
    for (let i = from; i < to; i++) {
      const s = all[i]!;
      if (q.service === undefined || s.service === q.service) out.push(s);
    }
    return out;
  }

  diagnostics(): SourceDiagnostics[] {
    return this.cache.diagnostics();
  }
}
