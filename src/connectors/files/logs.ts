import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLevel, LogRecord } from '../../model/telemetry.js';
import type { LogQuery, LogSource, SourceDiagnostics } from '../types.js';
import { lines, lowerBound, ParsedFileCache, toSourceError, type Parsed } from './cache.js';

export type LogFormat = 'json' | 'logfmt' | 'java' | 'nginx' | 'postgres';

const LEVELS: Record<string, LogLevel> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  debug1: 'DEBUG',
  debug2: 'DEBUG',
  info: 'INFO',
  information: 'INFO',
  notice: 'INFO',
  log: 'INFO',
  detail: 'INFO',
  hint: 'INFO',
  statement: 'INFO',
  context: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  err: 'ERROR',
  error: 'ERROR',
  fatal: 'FATAL',
  panic: 'FATAL',
  critical: 'FATAL',
  crit: 'FATAL',
};

/** Normalises a level name from any of the formats; unknown → undefined. */
export function normalizeLevel(raw: unknown): LogLevel | undefined {
  if (typeof raw !== 'string') return undefined;
  return LEVELS[raw.trim().toLowerCase()];
}

function parseTs(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw > 1e12 ? raw : raw * 1000;
  if (typeof raw !== 'string' || raw === '') return undefined;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseJson(line: string, service: string): LogRecord | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  const ts = parseTs(r['@timestamp'] ?? r['timestamp'] ?? r['ts'] ?? r['time']);
  const message = str(r['message']) ?? str(r['msg']);
  if (ts === undefined || message === undefined) return null;
  const rec: LogRecord = {
    ts,
    service,
    level: normalizeLevel(r['level'] ?? r['severity'] ?? r['lvl']) ?? 'INFO',
    message,
  };
  const host = str(r['host']) ?? str(r['hostname']);
  if (host) rec.host = host;
  const traceId = str(r['trace_id']) ?? str(r['traceId']);
  if (traceId) rec.traceId = traceId;
  return rec;
}

const LOGFMT_PAIR = /([A-Za-z_][\w.@-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;

function parseLogfmt(line: string, service: string): LogRecord | null {
  const kv: Record<string, string> = {};
  for (const m of line.matchAll(LOGFMT_PAIR)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    kv[m[1]!] = v;
  }
  const ts = parseTs(kv['ts'] ?? kv['time'] ?? kv['timestamp']);
  const message = kv['msg'] ?? kv['message'];
  if (ts === undefined || message === undefined) return null;
  const rec: LogRecord = { ts, service, level: normalizeLevel(kv['level'] ?? kv['lvl']) ?? 'INFO', message };
  if (kv['host']) rec.host = kv['host'];
  const traceId = kv['trace_id'] ?? kv['traceId'];
  if (traceId) rec.traceId = traceId;
  return rec;
}

const JAVA =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})[,.](\d{3})\s+(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+\[([^\]]*)\]\s+(\S+)\s+-\s?(.*)$/;

function parseJava(line: string, service: string): LogRecord | null {
  const m = JAVA.exec(line);
  if (!m) return null;
  const ts = Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`);
  if (!Number.isFinite(ts)) return null;
  return { ts, service, level: normalizeLevel(m[4]) ?? 'INFO', message: m[7]!.trim() };
}

const POSTGRES =
  /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) (?:UTC|GMT)\s+\[(\d+)\](?:\s+\S+@\S+)?\s*([A-Z]+\d?):\s+(.*)$/;

function parsePostgres(line: string, service: string): LogRecord | null {
  const m = POSTGRES.exec(line);
  if (!m) return null;
  const ts = Date.parse(`${m[1]}T${m[2]}Z`);
  const level = normalizeLevel(m[4]);
  if (!Number.isFinite(ts) || !level) return null;
  return { ts, service, level, message: m[5]!.trim() };
}

const MONTHS: Record<string, string> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06',
  Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
};
const REASONS: Record<string, string> = {
  '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No Content', '301': 'Moved Permanently', '302': 'Found',
  '304': 'Not Modified', '400': 'Bad Request', '401': 'Unauthorized', '403': 'Forbidden', '404': 'Not Found',
  '408': 'Request Timeout', '409': 'Conflict', '413': 'Payload Too Large', '429': 'Too Many Requests',
  '499': 'Client Closed Request', '500': 'Internal Server Error', '502': 'Bad Gateway', '503': 'Service Unavailable',
  '504': 'Gateway Timeout',
};
const NGINX =
  /^(\S+) \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})\] "([^"]*)" (\d{3}) (\d+|-)(?: ([\d.]+|-))? "([^"]*)" "([^"]*)"/;

function parseNginx(line: string, service: string): LogRecord | null {
  const m = NGINX.exec(line);
  if (!m) return null;
  const month = MONTHS[m[3]!];
  if (!month) return null;
  const ts = Date.parse(`${m[4]}-${month}-${m[2]}T${m[5]}${m[6]}:${m[7]}`);
  if (!Number.isFinite(ts)) return null;
  const status = m[9]!;
  const level: LogLevel = status >= '500' ? 'ERROR' : status >= '400' ? 'WARN' : 'INFO';
  const rt = m[11] && m[11] !== '-' ? ` in ${m[11]}s` : '';
  // The reason phrase keeps status classes apart once numbers are masked by the template miner.
  const message = `${m[8]} -> ${status} ${REASONS[status] ?? (status >= '500' ? 'Server Error' : status >= '400' ? 'Client Error' : 'OK')}${rt}`;
  return { ts, service, level, message };
}

/** Guesses a line's format from its shape (cheap checks only; the parser confirms). */
export function detectLogFormat(line: string): LogFormat | undefined {
  const s = line.trimStart();
  if (s.startsWith('{')) return 'json';
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[.,]\d+ (?:UTC|GMT) \[/.test(s)) return 'postgres';
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2},\d{3}\s/.test(s)) return 'java';
  if (/^\S+ \S+ \S+ \[\d{2}\/\w{3}\/\d{4}:/.test(s)) return 'nginx';
  if (/(?:^|\s)(?:ts|time|timestamp)=/.test(s) && /(?:^|\s)(?:msg|message)=/.test(s)) return 'logfmt';
  return undefined;
}

const PARSERS: Record<LogFormat, (line: string, service: string) => LogRecord | null> = {
  json: parseJson,
  logfmt: parseLogfmt,
  java: parseJava,
  nginx: parseNginx,
  postgres: parsePostgres,
};

/** Parses one raw log line of any supported format; null when it is malformed. */
export function parseLogLine(line: string, service: string): LogRecord | null {
  const fmt = detectLogFormat(line);
  return fmt ? PARSERS[fmt](line.trim(), service) : null;
}

/** Stack-trace and other continuation lines: part of the previous record, not malformed. */
const CONTINUATION = /^(?:\s|Caused by:|\.\.\. \d+ more)/;

export function parseLogText(text: string, service: string): Parsed<LogRecord[]> {
  const out: LogRecord[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    const rec = parseLogLine(line, service);
    if (rec) out.push(rec);
    else if (!CONTINUATION.test(line)) skipped++;
  }
  out.sort((a, b) => a.ts - b.ts); // stable: equal timestamps keep file order
  return { value: out, records: out.length, skipped };
}

export class FileLogSource implements LogSource {
  private readonly cache = new ParsedFileCache<LogRecord[]>('logs', (text, path) =>
    parseLogText(text, serviceOf(path)),
  );
  readonly dir: string;
  constructor(dir: string) {
    this.dir = join(dir, 'logs');
  }

  async services(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      throw toSourceError('logs', this.dir, e);
    }
    return names.filter((n) => n.endsWith('.log')).map((n) => n.slice(0, -4)).sort();
  }

  async read(q: LogQuery): Promise<LogRecord[]> {
    const services = q.service !== undefined ? [q.service] : await this.services();
    const out: LogRecord[] = [];
    for (const svc of services) {
      const recs = await this.cache.get(join(this.dir, `${svc}.log`));
      const from = lowerBound(recs, q.fromMs, (r: LogRecord) => r.ts);
      const to = lowerBound(recs, q.toMs, (r: LogRecord) => r.ts);
      for (let i = from; i < to; i++) out.push(recs[i]!);
    }
    if (services.length > 1) out.sort((a, b) => a.ts - b.ts);
    return out;
  }

  diagnostics(): SourceDiagnostics[] {
    return this.cache.diagnostics();
  }
}

function serviceOf(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.endsWith('.log') ? base.slice(0, -4) : base;
}
