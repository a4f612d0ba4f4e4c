import type { LogLevel } from '../model/telemetry.js';
import type { TemplateWindowStats } from './log-templates.js';

/** Comparing two windows of mined templates: new templates, surges, and level bursts. */

type LevelCounts = Partial<Record<LogLevel, number>>;

/** The most frequent level of a count map (ties → the more severe). */
export function dominantLevel(levels: LevelCounts): LogLevel {
  const order: LogLevel[] = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG'];
  let best: LogLevel = 'INFO';
  let n = -1;
  for (const l of order) {
    if ((levels[l] ?? 0) > n) {
      n = levels[l] ?? 0;
      best = l;
    }
  }
  return best;
}

export interface CompareOptions {
  /** a template absent from the baseline needs this many recent records (default 1) */
  minNewCount?: number;
  /** smoothed rate ratio for a surge (default 3) and minimum recent count (default 5) */
  surgeRatio?: number;
  minSurgeCount?: number;
  /** the same for level bursts (defaults 3 and 5) */
  burstRatio?: number;
  minBurstCount?: number;
  /** pseudo-count added to both windows before the rate ratio (default 1) */
  smoothing?: number;
}

export interface TemplateChange {
  id: string;
  template: string;
  level: LogLevel;
  baselineCount: number;
  recentCount: number;
  /** records per minute */
  baselineRate: number;
  recentRate: number;
  /** smoothed rate ratio recent / baseline */
  ratio: number;
  firstMs: number;
  sample: string;
}
export interface LevelBurst {
  level: LogLevel;
  baselineCount: number;
  recentCount: number;
  baselineRate: number;
  recentRate: number;
  ratio: number;
  topTemplates: { id: string; template: string; count: number }[];
}
export interface TemplateComparison {
  newTemplates: TemplateChange[];
  surges: TemplateChange[];
  errorBursts: LevelBurst[];
}

/** New templates, surging templates and WARN/ERROR/FATAL bursts of `recent` against `baseline`. */
export function compareTemplates(
  baseline: TemplateWindowStats,
  recent: TemplateWindowStats,
  options: CompareOptions = {},
): TemplateComparison {
  const o = {
    minNewCount: 1, surgeRatio: 3, minSurgeCount: 5, burstRatio: 3, minBurstCount: 5, smoothing: 1,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const bMin = Math.max(1, (baseline.toMs - baseline.fromMs) / 60_000);
  const rMin = Math.max(1, (recent.toMs - recent.fromMs) / 60_000);
  const ratio = (r: number, b: number) => (r + o.smoothing) / rMin / ((b + o.smoothing) / bMin);
  const newTemplates: TemplateChange[] = [];
  const surges: TemplateChange[] = [];
  for (const e of Object.values(recent.templates)) {
    const b = baseline.templates[e.id];
    const bc = b?.count ?? 0;
    const ch: TemplateChange = {
      id: e.id, template: e.template, level: dominantLevel(e.levels), baselineCount: bc, recentCount: e.count,
      baselineRate: bc / bMin, recentRate: e.count / rMin, ratio: ratio(e.count, bc), firstMs: e.firstMs, sample: e.sample,
    };
    if (bc === 0) {
      if (e.count >= o.minNewCount) newTemplates.push(ch);
    } else if (e.count >= o.minSurgeCount && ch.ratio >= o.surgeRatio) surges.push(ch);
  }
  const errorBursts: LevelBurst[] = [];
  for (const level of ['WARN', 'ERROR', 'FATAL'] as LogLevel[]) {
    const rc = recent.levels[level] ?? 0;
    const bc = baseline.levels[level] ?? 0;
    const r = ratio(rc, bc);
    if (rc < o.minBurstCount || r < o.burstRatio) continue;
    const topTemplates = Object.values(recent.templates)
      .filter((e) => (e.levels[level] ?? 0) > 0)
      .sort((a, b) => (b.levels[level] ?? 0) - (a.levels[level] ?? 0) || a.id.localeCompare(b.id))
      .slice(0, 3)
      .map((e) => ({ id: e.id, template: e.template, count: e.levels[level] ?? 0 }));
    errorBursts.push({ level, baselineCount: bc, recentCount: rc, baselineRate: bc / bMin, recentRate: rc / rMin, ratio: r, topTemplates });
  }
  newTemplates.sort((a, b) => b.recentCount - a.recentCount || a.id.localeCompare(b.id));
  surges.sort((a, b) => b.ratio - a.ratio || a.id.localeCompare(b.id));
  return { newTemplates, surges, errorBursts };
}
