import { z } from 'zod';
import type { LogLevel, LogRecord } from '../../model/telemetry.js';
import { normalizeLevel, parseLogLine } from '../files/logs.js';
import { DataSourceError, type LogQuery, type LogSource } from '../types.js';
import { HttpJsonClient, type HttpSourceOptions } from './http-client.js';

export { HttpJsonClient, mapBounded, DEFAULT_HTTP_TIMEOUT_MS, type HttpSourceOptions } from './http-client.js';

/**
 * A LogSource over Grafana Loki's HTTP API (https://grafana.com/docs/loki/latest/reference/loki-http-api/):
 * `GET /loki/api/v1/query_range` with a stream selector on the service label, paged by time, and
 * `GET /loki/api/v1/label/<name>/values` for services().
 */
export interface LokiLogSourceOptions extends HttpSourceOptions {
  /**
   * Labels that name a service, tried in order: the first one Loki knows (GET /loki/api/v1/labels) is used.
   * Default service_name (OpenTelemetry / Loki 3), service, job (Promtail's convention).
   */
  serviceLabels?: string[];
  /** entries per request (Loki's `limit`; its server-side max_entries_limit_per_query defaults to 5000); default 1000 */
  pageSize?: number;
  /** entries per read() in all, over every page; default 5000. A read that hits it keeps the entries nearest `direction`'s start */
  maxRecords?: number;
  /**
   * backward (default, Loki's own): newest first, so a capped read keeps the latest entries (the incident) and drops
   * the oldest (the baseline); forward keeps the oldest. read() returns entries oldest first either way.
   */
  direction?: 'forward' | 'backward';
}

export const LOKI_DEFAULT_SERVICE_LABELS = ['service_name', 'service', 'job'] as const;
export const LOKI_DEFAULT_PAGE_SIZE = 1000;
export const LOKI_DEFAULT_MAX_RECORDS = 5000;

const NanosString = z.string().regex(/^\d+$/, 'a nanosecond timestamp string');
/** [ns, line] or, with structured metadata (Loki 3), [ns, line, {metadata}] */
const EntrySchema = z.tuple([NanosString, z.string()], z.unknown());
const StreamSchema = z.object({ stream: z.record(z.string(), z.string()), values: z.array(EntrySchema) }).loose();
const QueryRangeSchema = z
  .object({
    status: z.literal('success'),
    data: z
      .object({
        resultType: z.string(),
        result: z.array(z.unknown()),
      })
      .loose(),
  })
  .loose();
const LabelListSchema = z.object({ status: z.literal('success'), data: z.array(z.string()).nullish() }).loose();

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createLokiLogSource(opts: LokiLogSourceOptions): LokiLogSource {
  return new LokiLogSource(opts);
}

export class LokiLogSource implements LogSource {
  private readonly http: HttpJsonClient;
  private readonly candidates: string[];
  private readonly pageSize: number;
  private readonly maxRecords: number;
  private readonly direction: 'forward' | 'backward';
  private resolvedLabel: Promise<string> | undefined;

  constructor(opts: LokiLogSourceOptions) {
    this.http = new HttpJsonClient('logs', opts);
    this.candidates = opts.serviceLabels && opts.serviceLabels.length > 0 ? opts.serviceLabels : [...LOKI_DEFAULT_SERVICE_LABELS];
    const bad = this.candidates.find((l) => !LABEL_NAME.test(l));
    if (bad !== undefined) throw new DataSourceError('logs', opts.url, 'invalid', `not a Loki label name: ${JSON.stringify(bad)}`);
    this.pageSize = positiveInt(opts.pageSize, LOKI_DEFAULT_PAGE_SIZE);
    this.maxRecords = positiveInt(opts.maxRecords, LOKI_DEFAULT_MAX_RECORDS);
    this.direction = opts.direction ?? 'backward';
  }

  /** The label that names services here: the first configured candidate Loki has seen (asked once, then kept). */
  serviceLabel(): Promise<string> {
    if (this.candidates.length === 1) return Promise.resolve(this.candidates[0]!);
    this.resolvedLabel ??= this.http.get('/loki/api/v1/labels', {}, LabelListSchema).then(
      (res) => {
        const known = new Set(res.data ?? []);
        // none present (an empty Loki): the first candidate, so queries still run and simply find nothing
        return this.candidates.find((l) => known.has(l)) ?? this.candidates[0]!;
      },
      (e: unknown) => {
        this.resolvedLabel = undefined; // a dead server now may be up on the next call
        throw e;
      },
    );
    return this.resolvedLabel;
  }

  async services(): Promise<string[]> {
    const label = await this.serviceLabel();
    const res = await this.http.get(`/loki/api/v1/label/${encodeURIComponent(label)}/values`, {}, LabelListSchema);
    return [...new Set(res.data ?? [])].sort();
  }

  async read(q: LogQuery): Promise<LogRecord[]> {
    if (!(q.toMs > q.fromMs)) return [];
    const label = await this.serviceLabel();
    const selector = q.service !== undefined ? `{${label}=${logqlString(q.service)}}` : `{${label}=~".+"}`;
    let start = msToNs(q.fromMs);
    let end = msToNs(q.toMs);
    const out: LogRecord[] = [];
    // entries at the page boundary's timestamp: the next page starts at that same nanosecond, so they come again
    let boundary = { ns: -1n, keys: new Set<string>() };
    while (out.length < this.maxRecords && start < end) {
      // the boundary's entries come again and are dropped: ask for that many more so a page still brings new ones
      const limit = Math.min(this.pageSize, this.maxRecords - out.length + boundary.keys.size);
      const res = await this.http.get(
        '/loki/api/v1/query_range',
        { query: selector, start: start.toString(), end: end.toString(), limit, direction: this.direction },
        QueryRangeSchema,
      );
      if (res.data.resultType !== 'streams') {
        throw new DataSourceError('logs', this.http.url('/loki/api/v1/query_range').href, 'invalid', `expected a "streams" result, got "${res.data.resultType}"`);
      }
      const streams = z.array(StreamSchema).safeParse(res.data.result);
      if (!streams.success) {
        throw new DataSourceError('logs', this.http.url('/loki/api/v1/query_range').href, 'invalid', `malformed streams: ${streams.error.issues[0]?.message}`);
      }
      const page = flatten(streams.data, this.direction);
      let fresh = 0;
      const edge = page.length > 0 ? page[page.length - 1]!.ns : undefined;
      const nextBoundary = { ns: edge ?? -1n, keys: new Set<string>() };
      for (const e of page) {
        if (e.ns === boundary.ns && boundary.keys.has(e.key)) continue;
        if (e.ns === nextBoundary.ns) nextBoundary.keys.add(e.key);
        if (out.length >= this.maxRecords) break;
        out.push(toRecord(e, label, q.service));
        fresh++;
      }
      // A short page is the last one; a page with nothing new means every entry left shares one timestamp we have.
      if (page.length < limit || fresh === 0 || edge === undefined) break;
      if (edge === boundary.ns) for (const k of boundary.keys) nextBoundary.keys.add(k);
      boundary = nextBoundary;
      if (this.direction === 'forward') start = edge;
      else end = edge + 1n; // end is exclusive: +1 ns keeps the boundary's other entries in the next page
    }
    // backward pages come newest first: reversing keeps entries that share a timestamp in Loki's order
    if (this.direction === 'backward') out.reverse();
    return out.sort((a, b) => a.ts - b.ts);
  }
}

interface Entry {
  ns: bigint;
  line: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  key: string;
}

/** Streams → one list of entries in the query's direction (Loki orders within a stream, not across streams). */
function flatten(streams: z.infer<typeof StreamSchema>[], direction: 'forward' | 'backward'): Entry[] {
  const entries: Entry[] = [];
  for (const s of streams) {
    const streamKey = JSON.stringify(Object.entries(s.stream).sort());
    for (const v of s.values) {
      const meta = v[2];
      const metadata: Record<string, string> = {};
      if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
        for (const [k, val] of Object.entries(meta)) if (typeof val === 'string') metadata[k] = val;
      }
      entries.push({ ns: BigInt(v[0]), line: v[1], labels: s.stream, metadata, key: `${streamKey}\u0000${v[1]}` });
    }
  }
  entries.sort((a, b) => (a.ns === b.ns ? 0 : (a.ns < b.ns) === (direction === 'forward') ? -1 : 1));
  return entries;
}

const LEVEL_WORD = /\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|PANIC|CRITICAL|CRIT)\b/i;

function toRecord(e: Entry, label: string, queried: string | undefined): LogRecord {
  const service = e.labels[label] ?? queried ?? 'unknown';
  const ts = Number(e.ns / 1000n) / 1000;
  const structured = parseLogLine(e.line, service);
  const labelled: LogLevel | undefined =
    normalizeLevel(e.labels['level']) ??
    normalizeLevel(e.metadata['level']) ??
    normalizeLevel(e.labels['detected_level']) ??
    normalizeLevel(e.metadata['detected_level']);
  const level = labelled ?? structured?.level ?? normalizeLevel(LEVEL_WORD.exec(e.line)?.[1]) ?? 'INFO';
  const rec: LogRecord = { ts, service, level, message: structured?.message ?? e.line };
  const host = structured?.host ?? e.labels['host'] ?? e.labels['hostname'] ?? e.labels['instance'];
  if (host) rec.host = host;
  const traceId = structured?.traceId ?? e.metadata['trace_id'] ?? e.labels['trace_id'] ?? e.metadata['traceID'];
  if (traceId) rec.traceId = traceId;
  return rec;
}

/** A LogQL string literal: JSON's escaping is a subset LogQL's double-quoted strings accept. */
function logqlString(value: string): string {
  return JSON.stringify(value);
}

function msToNs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1e6));
}

function positiveInt(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}
