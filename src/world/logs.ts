/**
 * Log lines for one minute, per service, in that service's format. Volume follows traffic; error lines follow the
 * same per-minute error probabilities as the metrics (dependency failures become caller-side lines, access logs get
 * 5xx statuses); faults, changes and red herrings add their own lines through Frame.events.
 */
import type { LogLevel } from '../model/telemetry.js';
import { CHATTER, internalIp, publicIp } from './chatter.js';
import { Rng } from './random.js';
import type { Frame } from './state.js';
import { linkKey } from './state.js';
import { type LogFormat, type ServiceSpec, SERVICES, edgesFrom } from './topology.js';
import { depFailureMessage } from './templates.js';
import type { TraceIds } from './traces.js';

interface Entry { ts: number; level: LogLevel; msg: string; traceId?: string }

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (x: number, w = 2): string => String(x).padStart(w, '0');
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'ShopApp/4.12.0 (Android 14; Pixel 8)',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
];
const PATHS: [(r: Rng) => string, string, number][] = [
  [(r) => `/api/products/${r.int(10000, 99999)}`, 'GET', 0.33],
  [(r) => `/api/products?category=${r.pick(['shoes', 'outdoor', 'kitchen', 'electronics', 'garden'])}&page=${r.int(1, 9)}`, 'GET', 0.12],
  [(r) => `/api/search?q=${r.pick(['shoes', 'jacket', 'cable', 'lamp', 'mat', 'socks', 'boots'])}`, 'GET', 0.16],
  [() => '/api/cart/items', 'POST', 0.13],
  [() => '/api/cart', 'GET', 0.08],
  [() => '/api/checkout', 'POST', 0.06],
  [() => '/api/account', 'GET', 0.05],
  [(r) => `/static/js/app.${r.hex(8)}.js`, 'GET', 0.07],
];

function isoMs(ts: number): string {
  return new Date(ts).toISOString();
}

function javaTs(ts: number, sep: string): string {
  const d = new Date(ts);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${sep}${pad(d.getUTCMilliseconds(), 3)}`;
}

function nginxTs(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

const PG_LEVEL: Record<LogLevel, string> = { DEBUG: 'DEBUG', INFO: 'LOG', WARN: 'WARNING', ERROR: 'ERROR', FATAL: 'FATAL' };

export function formatLine(fmt: LogFormat, spec: ServiceSpec, e: Entry, r: Rng): string {
  switch (fmt) {
    case 'logfmt':
      return `ts=${isoMs(e.ts)} level=${e.level.toLowerCase()} service=${spec.name} msg="${e.msg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"${e.traceId ? ` trace_id=${e.traceId}` : ''}`;
    case 'json':
      return JSON.stringify({ '@timestamp': isoMs(e.ts), level: e.level, service: spec.name, logger: spec.logger, message: e.msg, ...(e.traceId ? { trace_id: e.traceId } : {}) });
    case 'java': {
      const thread = spec.name === 'kafka' ? `data-plane-kafka-request-handler-${r.int(0, 7)}` : `http-nio-${spec.port}-exec-${r.int(1, 200)}`;
      return `${javaTs(e.ts, ',')} ${e.level === 'FATAL' ? 'ERROR' : e.level} [${thread}] ${spec.logger} - ${e.msg}`;
    }
    case 'postgres':
      return `${javaTs(e.ts, '.')} UTC [${r.int(1000, 65000)}] ${PG_LEVEL[e.level]}:  ${e.msg}`;
    case 'nginx':
      return e.msg;
  }
}

function accessEntries(f: Frame, spec: ServiceSpec, r: Rng): Entry[] {
  const st = f.svc.get(spec.name);
  if (!st) return [];
  const gateway = spec.kind === 'gateway';
  const count = r.poisson((gateway ? 26 : 22) * (f.rpm / 3600)) + 3;
  const out: Entry[] = [];
  for (let k = 0; k < count; k++) {
    const ts = f.tsMs + r.int(0, 59_999);
    const [mk, method] = r.weighted(PATHS.map(([p, m, w]) => [[p, m] as const, w] as const));
    const path = mk(r);
    let ms = st.samples[r.int(0, st.samples.length - 1)] ?? 10;
    if (path.startsWith('/static')) ms = r.float(0.5, 4);
    let status: number;
    let level: LogLevel = 'INFO';
    if (!path.startsWith('/static') && r.next() < st.errProb) {
      status = ms >= (gateway ? 9_990 : 7_990) ? 504 : r.pick([500, 502, 503]);
      level = 'ERROR';
    } else if (r.next() < 0.025) {
      status = r.pick([404, 404, 401, 429]);
      level = 'WARN';
    } else {
      status = method === 'POST' ? 201 : r.chance(0.15) ? 304 : 200;
    }
    const bytes = status === 304 ? 0 : status >= 400 ? r.int(150, 600) : r.int(300, 48_000);
    const ip = gateway ? publicIp(r) : internalIp(r);
    const msg = `${ip} - - [${nginxTs(ts)}] "${method} ${path} HTTP/1.1" ${status} ${bytes} ${(ms / 1000).toFixed(3)} "-" "${r.pick(UAS)}"`;
    out.push({ ts, level, msg });
  }
  return out;
}

function pickTrace(r: Rng, ids: TraceIds | undefined, err: boolean): string {
  const pool = ids ? (err && ids.err.length > 0 ? ids.err : ids.ok) : [];
  return pool.length > 0 && r.chance(0.6) ? r.pick(pool) : r.hex(32);
}

/** all log lines for the minute, by service, each in time order */
export function renderLogs(f: Frame, seed: number, traceIds: Map<string, TraceIds>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const spec of SERVICES) {
    const fmt = spec.logFormat;
    if (!fmt) continue;
    const r = Rng.for(seed, 'logs', f.minute, spec.name);
    const st = f.svc.get(spec.name);
    const ids = traceIds.get(spec.name);
    const entries: Entry[] = [];
    const at = (): number => f.tsMs + r.int(0, 59_999);
    if (fmt === 'nginx') {
      entries.push(...accessEntries(f, spec, r));
    } else if (!st?.mods.down) {
      const ch = CHATTER[spec.name];
      if (ch) {
        const scale = spec.kind === 'service' ? f.rpm / 3600 : 1;
        const n = r.poisson(ch.rate * scale);
        const weighted = ch.templates.map(([w, lvl, mk]) => [[lvl, mk] as const, w] as const);
        const redisDown = f.svc.get('redis-cache')?.mods.down ?? false;
        for (let k = 0; k < n; k++) {
          const [level, mk] = r.weighted(weighted);
          const msg = mk(r);
          if (redisDown && /redis|cache hit/i.test(msg)) continue; // those paths are not taken while the cache is down
          entries.push({ ts: at(), level, msg, traceId: pickTrace(r, ids, level === 'ERROR') });
        }
      }
      // caller-side lines for failed calls
      for (const e of edgesFrom(spec.name)) {
        const es = st?.edges.get(e.to);
        if (!es || es.callsPerMin <= 0) continue;
        const link = f.links.get(linkKey(e.from, e.to));
        const opts = {
          acquirer: f.acquirer, timeoutMs: link?.timeoutMs ?? e.timeoutMs, configKey: link?.configKey,
          down: f.svc.get(e.to)?.mods.down ?? false,
        };
        const nT = r.poisson(Math.min(14, es.callsPerMin * es.timeoutP * 0.25));
        const nE = r.poisson(Math.min(14, es.callsPerMin * es.errP * 0.06));
        for (let k = 0; k < nT; k++) entries.push({ ts: at(), level: 'ERROR', msg: depFailureMessage(spec, e, 'timeout', r, opts), traceId: pickTrace(r, ids, true) });
        for (let k = 0; k < nE; k++) entries.push({ ts: at(), level: 'ERROR', msg: depFailureMessage(spec, e, 'error', r, opts), traceId: pickTrace(r, ids, true) });
        if (e.kind === 'http' && !opts.configKey) {
          const nR = r.poisson(nT * 0.7);
          for (let k = 0; k < nR; k++) entries.push({ ts: at(), level: 'WARN', msg: `Retrying request to ${e.to} (attempt ${r.int(2, 3)})`, traceId: pickTrace(r, ids, true) });
        }
        if (e.kind === 'cache' && opts.down && f.fallback > 0) {
          const nF = r.poisson(Math.min(5, es.callsPerMin * f.fallback * 0.002));
          for (let k = 0; k < nF; k++) {
            entries.push({ ts: at(), level: 'WARN', msg: `Cache unavailable, falling back to postgres for key ${r.pick(['product', 'user', 'cart', 'session'])}:${r.int(10000, 99999)}`, traceId: pickTrace(r, ids, false) });
          }
        }
      }
    }
    for (const ev of f.events) {
      if (ev.service !== spec.name || fmt === 'nginx') continue; // access logs carry requests only
      const [lo, hi] = ev.window ?? [0, 1];
      for (let k = 0; k < ev.count; k++) {
        const ts = f.tsMs + Math.floor(r.float(lo, hi) * 59_999);
        entries.push({ ts, level: ev.level, msg: ev.make(r), traceId: pickTrace(r, ids, ev.level === 'ERROR') });
      }
    }
    entries.sort((a, b) => a.ts - b.ts);
    out.set(spec.name, entries.map((e) => formatLine(fmt, spec, e, r)));
  }
  return out;
}
