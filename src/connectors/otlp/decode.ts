import type { LogLevel, LogRecord, Span } from '../../model/telemetry.js';
import { firstIssue, LogRecordJsonSchema, LogsRequestJsonSchema, SpanJsonSchema, TracesRequestJsonSchema } from './json-schema.js';
import { otlpMessageTypes } from './proto-root.js';
import {
  attributesToRecord,
  type IdLike,
  type Int64Like,
  type KeyValueLike,
  type AnyValueLike,
  anyValueToAttribute,
  nanosToMs,
  parentSpanIdHex,
  spanIdHex,
  stringAttribute,
  traceIdHex,
  UNKNOWN_SERVICE,
} from './values.js';

/**
 * Export*ServiceRequest bodies → the project's Span and LogRecord. JSON is parsed and validated with zod; protobuf is
 * decoded by protobufjs from the official definitions. Both then walk the same resource → scope → record nesting.
 */

export type OtlpEncoding = 'json' | 'protobuf';

/** a request that could not be read at all: the answer is 400 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

export interface Decoded<T> {
  items: T[];
  /** records dropped as invalid (partial success) */
  rejected: number;
  /** why the first one was dropped */
  rejectReason?: string;
}

interface ResourceLike {
  attributes?: (KeyValueLike | null)[] | null;
}
interface SpanLike {
  traceId?: IdLike | null;
  spanId?: IdLike | null;
  parentSpanId?: IdLike | null;
  name?: string | null;
  kind?: number | string | null;
  startTimeUnixNano?: Int64Like | null;
  endTimeUnixNano?: Int64Like | null;
  attributes?: (KeyValueLike | null)[] | null;
  status?: { code?: number | string | null; message?: string | null } | null;
}
interface LogRecordLike {
  timeUnixNano?: Int64Like | null;
  observedTimeUnixNano?: Int64Like | null;
  severityNumber?: number | string | null;
  severityText?: string | null;
  body?: AnyValueLike | null;
  attributes?: (KeyValueLike | null)[] | null;
  traceId?: IdLike | null;
}
interface TracesRequestLike {
  resourceSpans?: ({ resource?: ResourceLike | null; scopeSpans?: ({ spans?: unknown[] | null } | null)[] | null } | null)[] | null;
}
interface LogsRequestLike {
  resourceLogs?: ({ resource?: ResourceLike | null; scopeLogs?: ({ logRecords?: unknown[] | null } | null)[] | null } | null)[] | null;
}

/** the record as received, or why it is invalid */
type Validate<T> = (record: unknown) => { ok: true; record: T } | { ok: false; reason: string };

class Collector<T> implements Decoded<T> {
  items: T[] = [];
  rejected = 0;
  rejectReason?: string;
  reject(reason: string): void {
    this.rejected++;
    this.rejectReason ??= reason;
  }
}

export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding): Decoded<Span> {
  const out = new Collector<Span>();
  const request = encoding === 'json' ? (parseJson(body, TracesRequestJsonSchema) as TracesRequestLike) : (decodeProtobuf(body, 'traceRequest') as TracesRequestLike);
  const validate: Validate<SpanLike> = encoding === 'json' ? zodValidator(SpanJsonSchema) : trusted;
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = serviceOf(resourceSpans?.resource);
    // the version a span was served by is what reveals a deploy in the traces (see trace-topology.ts)
    const version = stringAttribute(resourceSpans?.resource?.attributes, 'service.version');
    for (const scope of resourceSpans?.scopeSpans ?? []) {
      for (const raw of scope?.spans ?? []) {
        const checked = validate(raw);
        if (!checked.ok) {
          out.reject(`span: ${checked.reason}`);
          continue;
        }
        const span = toSpan(checked.record, service);
        if (typeof span === 'string') out.reject(span);
        else {
          if (version && span.attributes['service.version'] === undefined) span.attributes['service.version'] = version;
          out.items.push(span);
        }
      }
    }
  }
  return out;
}

export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding, nowMs = Date.now()): Decoded<LogRecord> {
  const out = new Collector<LogRecord>();
  const request = encoding === 'json' ? (parseJson(body, LogsRequestJsonSchema) as LogsRequestLike) : (decodeProtobuf(body, 'logsRequest') as LogsRequestLike);
  const validate: Validate<LogRecordLike> = encoding === 'json' ? zodValidator(LogRecordJsonSchema) : trusted;
  for (const resourceLogs of request.resourceLogs ?? []) {
    const service = serviceOf(resourceLogs?.resource);
    const host = stringAttribute(resourceLogs?.resource?.attributes, 'host.name');
    for (const scope of resourceLogs?.scopeLogs ?? []) {
      for (const raw of scope?.logRecords ?? []) {
        const checked = validate(raw);
        if (!checked.ok) {
          out.reject(`log record: ${checked.reason}`);
          continue;
        }
        const record = toLogRecord(checked.record, service, host, nowMs);
        if (typeof record === 'string') out.reject(record);
        else out.items.push(record);
      }
    }
  }
  return out;
}

export function serviceOf(resource: ResourceLike | null | undefined): string {
  return stringAttribute(resource?.attributes, 'service.name') || UNKNOWN_SERVICE;
}

const SPAN_KINDS = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

function toSpan(s: SpanLike, service: string): Span | string {
  const traceId = traceIdHex(s.traceId);
  if (!traceId) return 'span: the traceId is not 16 non-zero bytes';
  const spanId = spanIdHex(s.spanId);
  if (!spanId) return 'span: the spanId is not 8 non-zero bytes';
  const parent = parentSpanIdHex(s.parentSpanId);
  if (!parent.ok) return 'span: the parentSpanId is not 8 bytes';
  const attributes = attributesToRecord(s.attributes);
  const statusMessage = s.status?.message;
  if (statusMessage) attributes['otel.status_description'] = statusMessage;
  const span: Span = {
    traceId,
    spanId,
    service,
    name: s.name ?? '',
    kind: spanKind(s.kind),
    startMs: nanosToMs(s.startTimeUnixNano),
    endMs: nanosToMs(s.endTimeUnixNano),
    status: statusCode(s.status?.code),
    attributes,
  };
  if (parent.id) span.parentSpanId = parent.id;
  return span;
}

/** UNSPECIFIED is read as INTERNAL, which the spec allows receivers to assume */
function spanKind(kind: number | string | null | undefined): Span['kind'] {
  if (typeof kind === 'number') return SPAN_KINDS[kind] ?? 'INTERNAL';
  const name = (kind ?? '').replace(/^SPAN_KIND_/, '');
  return (SPAN_KINDS as readonly string[]).includes(name) ? (name as Span['kind']) : 'INTERNAL';
}

function statusCode(code: number | string | null | undefined): Span['status'] {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'ERROR';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'OK';
  return 'UNSET';
}

function toLogRecord(r: LogRecordLike, service: string, host: string | undefined, nowMs: number): LogRecord | string {
  let traceId: string | undefined;
  if (r.traceId !== null && r.traceId !== undefined && r.traceId.length > 0) {
    traceId = traceIdHex(r.traceId);
    if (!traceId) return 'log record: the traceId is not 16 non-zero bytes';
  }
  // the spec: a record without an event time is placed at the time it was observed, failing that at receipt
  const ts = nanosToMs(r.timeUnixNano) || nanosToMs(r.observedTimeUnixNano) || nowMs;
  const body = anyValueToAttribute(r.body);
  const record: LogRecord = { ts, service, level: logLevel(r.severityNumber, r.severityText), message: body === undefined ? '' : String(body) };
  if (host) record.host = host;
  if (traceId) record.traceId = traceId;
  return record;
}

/** OTLP severity numbers come in bands of four: TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24 */
export function logLevel(severityNumber: number | string | null | undefined, severityText: string | null | undefined): LogLevel {
  const n = typeof severityNumber === 'number' ? severityNumber : severityFromName(severityNumber);
  if (n >= 21) return 'FATAL';
  if (n >= 17) return 'ERROR';
  if (n >= 13) return 'WARN';
  if (n >= 9) return 'INFO';
  if (n >= 1) return 'DEBUG';
  return levelFromText(severityText);
}

function severityFromName(name: string | null | undefined): number {
  const m = /^SEVERITY_NUMBER_(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)(\d?)$/.exec(name ?? '');
  if (!m) return 0;
  const band = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].indexOf(m[1] ?? '');
  return band * 4 + Number(m[2] || 1);
}

function levelFromText(text: string | null | undefined): LogLevel {
  const t = (text ?? '').trim().toUpperCase();
  if (/^(FATAL|CRIT|EMERG|ALERT|PANIC)/.test(t)) return 'FATAL';
  if (/^(ERR|SEVERE)/.test(t)) return 'ERROR';
  if (/^WARN/.test(t)) return 'WARN';
  if (/^(DEBUG|TRACE|FINE)/.test(t)) return 'DEBUG';
  return 'INFO';
}

export function parseJson(body: Uint8Array, schema: { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: import('zod').ZodError } }): unknown {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`the body is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new OtlpDecodeError(`the body is not an OTLP/JSON export request: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

export function decodeProtobuf(body: Uint8Array, type: 'traceRequest' | 'logsRequest' | 'metricsRequest'): unknown {
  try {
    return otlpMessageTypes()[type].decode(body);
  } catch (err) {
    throw new OtlpDecodeError(`the body is not an OTLP protobuf export request: ${(err as Error).message}`);
  }
}

export function zodValidator<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }): Validate<T> {
  return (record) => {
    const parsed = schema.safeParse(record);
    return parsed.success ? { ok: true, record: parsed.data } : { ok: false, reason: firstIssue(parsed.error) };
  };
}

/** protobuf records come from the decoder, whose wire types already guarantee the shape */
function trusted<T>(record: unknown): { ok: true; record: T } {
  return { ok: true, record: record as T };
}
