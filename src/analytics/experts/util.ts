import { DataSourceError } from '../../connectors/types.js';
import type { Finding } from '../../model/evidence.js';
import type { TimeWindow } from '../../model/telemetry.js';
import { redact } from '../../redaction/redact.js';
import { clamp01 } from '../robust.js';
import type { ExpertContext } from './types.js';

export const MAX_FINDINGS = 25;
/** findings weaker than this are noise */
export const MIN_SCORE = 0.1;

/** Redacts, clamps and rounds scores, dedupes ids (strongest wins), drops noise, sorts (score, onset, id) and caps. */
export function finalize(findings: readonly Finding[], cap = MAX_FINDINGS): Finding[] {
  const byId = new Map<string, Finding>();
  for (const f of findings) {
    const g: Finding = {
      ...f,
      score: Math.round(clamp01(f.score) * 1000) / 1000,
      summary: redact(f.summary),
      evidence: f.evidence.slice(0, 4).map(redact),
      faultHints: [...new Set(f.faultHints)],
    };
    const prev = byId.get(g.id);
    if (!prev || g.score > prev.score) byId.set(g.id, g);
  }
  return [...byId.values()]
    .filter((f) => f.score >= MIN_SCORE)
    .sort((a, b) => b.score - a.score || a.onsetMs - b.onsetMs || a.id.localeCompare(b.id))
    .slice(0, cap);
}

/** "09:47" (UTC) */
export function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

const RATIO_METRICS = /(^|_)(error_rate|success_rate|hit_rate|pool_utilization)$/;

/** A metric value with its unit: shares as %, *_util as %, ms, MB. */
export function fmtValue(metric: string, v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (RATIO_METRICS.test(metric)) return `${(v * 100).toFixed(1)}%`;
  if (/_util$/.test(metric)) return `${v.toFixed(1)}%`;
  if (/_ms$/.test(metric)) return `${fmtNum(v)} ms`;
  if (/_mb$/.test(metric)) return `${fmtNum(v)} MB`;
  return fmtNum(v);
}

export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(2);
}

/** "+35%" / "−47%"; '' when the base is 0. */
export function fmtChange(from: number, to: number): string {
  if (!from) return '';
  const p = ((to - from) / Math.abs(from)) * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(Math.abs(p) < 10 ? 1 : 0)}%`;
}

/** " (+26%)" for quantities; '' for metrics already in % or shares (a relative change of a percentage confuses). */
export function fmtDelta(metric: string, from: number, to: number): string {
  if (RATIO_METRICS.test(metric) || /_util$/.test(metric)) return '';
  const c = fmtChange(from, to);
  return c ? ` (${c})` : '';
}

/** The whole range an expert reads: baseline ∪ window. */
export function fullRange(ctx: Pick<ExpertContext, 'baseline' | 'window'>): TimeWindow {
  return {
    fromMs: Math.min(ctx.baseline.fromMs, ctx.window.fromMs),
    toMs: Math.max(ctx.baseline.toMs, ctx.window.toMs),
  };
}

/**
 * Runs reads for an expert with several sources: a source that fails with DataSourceError yields undefined and is
 * recorded; `rethrowIfAllFailed` throws the first such error when nothing could be read.
 */
export class SourceGuard {
  readonly failures: DataSourceError[] = [];
  private successes = 0;
  async read<T>(f: () => Promise<T>): Promise<T | undefined> {
    try {
      const v = await f();
      this.successes++;
      return v;
    } catch (e) {
      if (e instanceof DataSourceError) {
        this.failures.push(e);
        return undefined;
      }
      throw e;
    }
  }
  rethrowIfAllFailed(): void {
    if (this.successes === 0 && this.failures[0]) throw this.failures[0];
  }
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
