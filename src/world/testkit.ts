/** Readers for a telemetry folder, used by the world's tests (and handy for debugging a scenario). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Row { ts: number; entity: string; metric: string; value: number }

export function readMetrics(dir: string): Row[] {
  const lines = readFileSync(join(dir, 'metrics.csv'), 'utf8').trimEnd().split('\n');
  if (lines[0] !== 'timestamp,entity,metric,value') throw new Error(`bad header: ${lines[0]}`);
  return lines.slice(1).map((l) => {
    const [ts = '', entity = '', metric = '', value = ''] = l.split(',');
    return { ts: Date.parse(ts), entity, metric, value: Number(value) };
  });
}

export type Series = Map<string, { ts: number; value: number }[]>;

export function seriesOf(rows: Row[]): Series {
  const out: Series = new Map();
  for (const r of rows) {
    const k = `${r.entity}|${r.metric}`;
    let s = out.get(k);
    if (!s) out.set(k, (s = []));
    s.push({ ts: r.ts, value: r.value });
  }
  return out;
}

export function values(s: Series, entity: string, metric: string, fromMs = -Infinity, toMs = Infinity): number[] {
  return (s.get(`${entity}|${metric}`) ?? []).filter((p) => p.ts >= fromMs && p.ts < toMs).map((p) => p.value);
}

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
export const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export interface FlatSpan {
  service: string; traceId: string; spanId: string; parentSpanId: string; name: string; kind: number;
  startMs: number; endMs: number; error: boolean; peer?: string;
}

export function readSpans(dir: string): { requests: unknown[]; spans: FlatSpan[] } {
  const requests: unknown[] = [];
  const spans: FlatSpan[] = [];
  for (const line of readFileSync(join(dir, 'traces', 'spans.jsonl'), 'utf8').trimEnd().split('\n')) {
    const req = JSON.parse(line) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    requests.push(req);
    for (const rs of req.resourceSpans) {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans) {
        for (const sp of ss.spans) {
          const attrs = sp.attributes as { key: string; value: { stringValue?: string } }[];
          spans.push({
            service, traceId: String(sp.traceId), spanId: String(sp.spanId), parentSpanId: String(sp.parentSpanId ?? ''),
            name: String(sp.name), kind: Number(sp.kind),
            startMs: Number(BigInt(String(sp.startTimeUnixNano)) / 1000n) / 1000,
            endMs: Number(BigInt(String(sp.endTimeUnixNano)) / 1000n) / 1000,
            error: (sp.status as { code: number }).code === 2,
            peer: attrs.find((a) => a.key === 'peer.service')?.value.stringValue,
          });
        }
      }
    }
  }
  return { requests, spans };
}

export function readLog(dir: string, service: string): string[] {
  return readFileSync(join(dir, 'logs', `${service}.log`), 'utf8').trimEnd().split('\n').filter((l) => l.length > 0);
}

/** the timestamp of a log line in any of the five formats */
export function logTs(line: string): number {
  let m = /^ts=(\S+)/.exec(line);
  if (m?.[1]) return Date.parse(m[1]);
  m = /^\{"@timestamp":"([^"]+)"/.exec(line);
  if (m?.[1]) return Date.parse(m[1]);
  m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)[,.](\d{3})/.exec(line);
  if (m) return Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`);
  m = /\[(\d\d)\/(\w{3})\/(\d{4}):(\d\d:\d\d:\d\d) \+0000\]/.exec(line);
  if (m) return Date.parse(`${m[2]} ${m[1]} ${m[3]} ${m[4]} GMT`);
  return Number.NaN;
}
