import { join } from 'node:path';
import type { MetricPoint, MetricSeries } from '../../model/telemetry.js';
import type { MetricsQuery, MetricsSource, SourceDiagnostics } from '../types.js';
import { lines, lowerBound, ParsedFileCache, type Parsed } from './cache.js';

type SeriesMap = Map<string, MetricSeries>;

const key = (entity: string, metric: string): string => `${entity}\u0000${metric}`;

/** Parses metrics.csv (`timestamp,entity,metric,value`, long format). Malformed rows are skipped and counted. */
export function parseMetricsCsv(text: string): Parsed<SeriesMap> {
  const map: SeriesMap = new Map();
  let records = 0;
  let skipped = 0;
  for (const line of lines(text)) {
    const cols = line.split(',');
    if (cols.length !== 4) {
      skipped++;
      continue;
    }
    const [tsRaw, entity, metric, valueRaw] = cols.map((c) => c.trim()) as [string, string, string, string];
    if (tsRaw === 'timestamp') continue; // header
    const ts = Date.parse(tsRaw);
    const value = Number(valueRaw);
    if (!Number.isFinite(ts) || valueRaw === '' || !Number.isFinite(value) || !entity || !metric) {
      skipped++;
      continue;
    }
    const k = key(entity, metric);
    let s = map.get(k);
    if (!s) map.set(k, (s = { entity, metric, points: [] }));
    s.points.push({ ts, value });
    records++;
  }
  for (const s of map.values()) {
    const pts = s.points;
    let sorted = true;
    for (let i = 1; i < pts.length && sorted; i++) if (pts[i]!.ts < pts[i - 1]!.ts) sorted = false;
    if (!sorted) pts.sort((a, b) => a.ts - b.ts);
  }
  return { value: map, records, skipped };
}

export class FileMetricsSource implements MetricsSource {
  private readonly cache = new ParsedFileCache<SeriesMap>('metrics', (t) => parseMetricsCsv(t));
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, 'metrics.csv');
  }

  async query(q: MetricsQuery): Promise<MetricSeries[]> {
    const map = await this.cache.get(this.path);
    const out: MetricSeries[] = [];
    for (const s of map.values()) {
      if (q.entity !== undefined && s.entity !== q.entity) continue;
      if (q.metric !== undefined && s.metric !== q.metric) continue;
      const from = lowerBound(s.points, q.fromMs, (p: MetricPoint) => p.ts);
      const to = lowerBound(s.points, q.toMs, (p: MetricPoint) => p.ts);
      if (to > from) out.push({ entity: s.entity, metric: s.metric, points: s.points.slice(from, to) });
    }
    return out;
  }

  async list(): Promise<{ entity: string; metric: string }[]> {
    const map = await this.cache.get(this.path);
    return [...map.values()].map((s) => ({ entity: s.entity, metric: s.metric }));
  }

  diagnostics(): SourceDiagnostics[] {
    return this.cache.diagnostics();
  }
}
