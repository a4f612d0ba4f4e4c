import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LogLevel, LogRecord, MetricSeries, Span, TimeWindow } from '../../model/telemetry.js';
import { readCsv } from './csv.js';

/** Reading the Nezha TrainTicket layout (rca_data/<day>, construct_data/<day>) into the project's telemetry types. */

export type NezhaFaultType = 'cpu_contention' | 'network_delay' | 'exception' | 'return' | (string & {});

export interface NezhaFault {
  day: string;
  /** the fault list's inject_time, on the telemetry's clock (UTC) */
  injectTime: string;
  injectMs: number;
  pod: string;
  service: string;
  type: NezhaFaultType;
}

/** Pod name → service name: strips a Deployment's `-<replicaset hash>-<5 chars>` or a StatefulSet's `-<ordinal>`. */
export function podToService(pod: string): string {
  const deploy = /^(.+?)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(pod);
  if (deploy) return deploy[1]!;
  const stateful = /^(.+)-\d+$/.exec(pod);
  if (stateful) return stateful[1]!;
  return pod;
}

/** "2023-01-29 08:43:04" (UTC, the telemetry's clock) → epoch ms. */
export function parseInjectTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`unreadable inject_time "${s}"`);
  const [, y, mo, d, h, mi, sec, frac] = m;
  return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +sec!) + (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
}

/** `--data` when given, else the Nezha folder under SRE_COPILOT_DATASETS (config.datasetsDir). */
export function datasetRoot(data: string | undefined, datasetsDir: string): string {
  if (data) return data;
  return path.join(datasetsDir, 'nezha-trainticket');
}

const isDay = (n: string) => /^\d{4}-\d{2}-\d{2}$/.test(n);
const listDirs = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && isDay(d.name)).map((d) => d.name).sort() : []);

/** Days with fault lists (rca_data) and days with fault-free telemetry (construct_data). */
export function listDays(root: string): { rca: string[]; construct: string[] } {
  return { rca: listDirs(path.join(root, 'rca_data')), construct: listDirs(path.join(root, 'construct_data')) };
}

export function loadFaults(root: string, day: string): NezhaFault[] {
  const file = path.join(root, 'rca_data', day, `${day}-fault_list.json`);
  if (!existsSync(file)) return [];
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { inject_time: string; inject_pod: string; inject_type: string }[]>;
  const out: NezhaFault[] = [];
  for (const hour of Object.keys(raw).sort()) {
    for (const f of raw[hour] ?? []) {
      out.push({ day, injectTime: f.inject_time, injectMs: parseInjectTime(f.inject_time), pod: f.inject_pod, service: podToService(f.inject_pod), type: f.inject_type });
    }
  }
  return out.sort((a, b) => a.injectMs - b.injectMs);
}

export interface MinuteFile {
  file: string;
  /** start of the minute the file is named after (HH_MM), epoch ms */
  minuteMs: number;
}

/** `<dir>/HH_MM_<kind>.csv.gz` files of one day with the minute each is named after. */
export function minuteFiles(dir: string, day: string, kind: 'log' | 'trace'): MinuteFile[] {
  if (!existsSync(dir)) return [];
  const dayMs = parseInjectTime(`${day} 00:00:00`);
  const out: MinuteFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^(\\d{2})_(\\d{2})_${kind}\\.csv(?:\\.gz)?$`).exec(name);
    if (m) out.push({ file: path.join(dir, name), minuteMs: dayMs + (+m[1]! * 60 + +m[2]!) * 60_000 });
  }
  return out.sort((a, b) => a.minuteMs - b.minuteMs);
}

/**
 * Files that may hold records of [fromMs, toMs). A file's name is only a hint (in this data set `08_43` holds
 * 08:42:09–08:43:08, and some files span three minutes), so files named up to `slackMs` around the range are read and
 * their records are filtered by their own timestamps.
 */
export function selectFiles(files: readonly MinuteFile[], range: TimeWindow, slackMs = 5 * 60_000): MinuteFile[] {
  return files.filter((f) => f.minuteMs + 60_000 > range.fromMs - slackMs && f.minuteMs < range.toMs + slackMs);
}

export interface CaseWindows {
  /** before the injection, on the case's own telemetry */
  baseline: TimeWindow;
  /** from the injection on */
  window: TimeWindow;
}

/** The analysis windows of one fault: `windowMs` from inject_time on, the baseline `baselineMs` before it. */
export function caseWindows(injectMs: number, windowMs: number, baselineMs: number): CaseWindows {
  return { baseline: { fromMs: injectMs - baselineMs, toMs: injectMs }, window: { fromMs: injectMs, toMs: injectMs + windowMs } };
}

export const inRange = (ts: number, w: TimeWindow): boolean => ts >= w.fromMs && ts < w.toMs;

// ---------------------------------------------------------------- metrics

export const METRIC_COLUMNS = [
  'CpuUsageRate(%)', 'MemoryUsageRate(%)', 'SyscallRead', 'SyscallWrite', 'NetworkReceiveBytes', 'NetworkTransmitBytes',
  'PodClientLatencyP90(s)', 'PodServerLatencyP90(s)', 'PodClientLatencyP99(s)', 'PodServerLatencyP99(s)',
  'PodWorkload(Ops)', 'PodSuccessRate(%)', 'NodeCpuUsageRate(%)',
] as const;

/** Per pod metric series (entity = service, one series per column) restricted to `range`. */
export async function loadMetrics(dir: string, range: TimeWindow): Promise<Map<string, MetricSeries[]>> {
  const out = new Map<string, MetricSeries[]>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const m = /^(.+)_metric\.csv(?:\.gz)?$/.exec(name);
    if (!m) continue;
    const pod = m[1]!;
    const series = new Map<string, MetricSeries>(METRIC_COLUMNS.map((c) => [c, { entity: podToService(pod), metric: c, points: [] }]));
    for await (const row of readCsv(path.join(dir, name))) {
      const ts = Number(row.TimeStamp) * 1000;
      if (!Number.isFinite(ts) || !inRange(ts, range)) continue;
      for (const c of METRIC_COLUMNS) {
        const v = Number(row[c]);
        if (row[c] !== undefined && row[c] !== '' && Number.isFinite(v)) series.get(c)!.points.push({ ts, value: v });
      }
    }
    out.set(pod, [...series.values()].filter((s) => s.points.length > 0));
  }
  return out;
}

// ---------------------------------------------------------------- logs

const LEVELS: Record<string, LogLevel> = { TRACE: 'DEBUG', DEBUG: 'DEBUG', INFO: 'INFO', WARN: 'WARN', WARNING: 'WARN', ERROR: 'ERROR', FATAL: 'FATAL' };
const LOG_LINE = /^\s*\S+\s+(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(?:TraceID:\s*\S*\s+SpanID:\s*\S*\s*)?([\s\S]*)$/;

/** The docker JSON wrapper's `log` text → level and a message of `<logger#line> <text>` (time and ids dropped). */
export function parseLogText(wrapped: string): { level: LogLevel; message: string } {
  let text = wrapped;
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { log?: unknown };
      if (typeof j.log === 'string') text = j.log;
    } catch {
      /* not JSON: keep the raw text */
    }
  }
  text = text.replace(/\s+$/, '');
  const m = LOG_LINE.exec(text);
  if (!m) return { level: /\b(ERROR|Exception)\b/.test(text) ? 'ERROR' : 'INFO', message: text };
  return { level: LEVELS[m[1]!] ?? 'INFO', message: `${m[2]} ${m[3]}`.trim() };
}

export interface PodLog extends LogRecord {
  pod: string;
  spanId?: string;
}

/** Log records with timestamps in `range` from the given files. */
export async function loadLogs(files: readonly MinuteFile[], range: TimeWindow): Promise<PodLog[]> {
  const out: PodLog[] = [];
  for (const f of files) {
    for await (const row of readCsv(f.file)) {
      const ts = nanosToMs(row.TimeUnixNano) ?? Date.parse(row.Timestamp ?? '');
      if (!Number.isFinite(ts) || !inRange(ts, range)) continue;
      const pod = row.PodName ?? '';
      const { level, message } = parseLogText(row.Log ?? '');
      out.push({ ts, pod, service: podToService(pod), level, message, ...(row.TraceID ? { traceId: row.TraceID } : {}), ...(row.SpanID ? { spanId: row.SpanID } : {}) });
    }
  }
  return out;
}

export function nanosToMs(s: string | undefined): number | undefined {
  if (!s || !/^\d+$/.test(s)) return undefined;
  return s.length > 6 ? Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6 : Number(s) / 1e6;
}

// ---------------------------------------------------------------- traces

/**
 * Spans with start times in `range`. The CSV has no span kind or status: a span whose parent runs in another service
 * (or that has no parent) is SERVER, one with a child in another service CLIENT, the rest INTERNAL; status is UNSET.
 * attributes.pod holds the pod name.
 */
export async function loadSpans(files: readonly MinuteFile[], range: TimeWindow): Promise<Span[]> {
  const out: Span[] = [];
  for (const f of files) {
    for await (const row of readCsv(f.file)) {
      const startMs = nanosToMs(row.StartTimeUnixNano);
      const endMs = nanosToMs(row.EndTimeUnixNano);
      if (startMs === undefined || endMs === undefined || !inRange(startMs, range)) continue;
      const pod = row.PodName ?? '';
      const parent = row.ParentID && row.ParentID !== 'root' ? row.ParentID : undefined;
      out.push({
        traceId: row.TraceID ?? '', spanId: row.SpanID ?? '', ...(parent ? { parentSpanId: parent } : {}),
        service: podToService(pod), name: row.OperationName ?? '', kind: 'INTERNAL', startMs, endMs, status: 'UNSET',
        attributes: { pod },
      });
    }
  }
  return inferKinds(out);
}

/** Sets kind from the parent/child services (see loadSpans); dedupes spans read twice. */
export function inferKinds(spans: Span[]): Span[] {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(`${s.traceId}/${s.spanId}`, s);
  const uniq = [...byId.values()];
  const hasRemoteChild = new Set<string>();
  for (const s of uniq) {
    const p = s.parentSpanId ? byId.get(`${s.traceId}/${s.parentSpanId}`) : undefined;
    if (p && p.service !== s.service) hasRemoteChild.add(`${p.traceId}/${p.spanId}`);
  }
  for (const s of uniq) {
    const p = s.parentSpanId ? byId.get(`${s.traceId}/${s.parentSpanId}`) : undefined;
    s.kind = !p || p.service !== s.service ? 'SERVER' : hasRemoteChild.has(`${s.traceId}/${s.spanId}`) ? 'CLIENT' : 'INTERNAL';
  }
  return uniq;
}
