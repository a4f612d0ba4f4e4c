import { existsSync } from 'node:fs';
import path from 'node:path';
import { renderTable } from '../table.js';
import type { BenchSuite } from '../types.js';
import { type Issue, type TrafficSplit, loadSplits } from './parse.js';
import { PETSHOP_PARAMS, type IssueKind, type PetshopParams, gatherEvidence, issueKind, rankRootCauses } from './rank.js';

/**
 * Published figures of the dataset authors' anomaly-traversal baseline (arXiv 2311.04806; the repository's
 * RCA-Dataset-Eval notebook): AC@1/AC@3 over train and test issues together; temporal_traffic1 and 2 share one figure.
 */
export const PETSHOP_ANCHORS: Record<string, Partial<Record<IssueKind, { top1: number; top3: number }>>> = {
  low_traffic: { latency: { top1: 0.571, top3: 0.571 }, availability: { top1: 0.833, top3: 1.0 } },
  high_traffic: { latency: { top1: 0.571, top3: 0.786 }, availability: { top1: 0.667, top3: 1.0 } },
  temporal_traffic: { latency: { top1: 1.0, top3: 1.0 }, availability: { top1: 0.75, top3: 1.0 } },
};
const anchorFor = (split: string) => PETSHOP_ANCHORS[split] ?? PETSHOP_ANCHORS[split.replace(/\d+$/, '')];

export interface CaseResult {
  split: string;
  set: 'train' | 'test';
  issue: string;
  kind: IssueKind;
  rootCause: string;
  rank: number;
  /** score of the true root cause minus the best other score (scores are on a 0–1 scale); < 0 when it is not first */
  margin: number;
  top: string[];
  ms: number;
}

export function runCase(split: TrafficSplit, issue: Issue, set: 'train' | 'test', p: PetshopParams): CaseResult {
  const started = performance.now();
  const evidence = gatherEvidence(split.graph, split.normal, issue.metrics, issue.target, p);
  const ranked = rankRootCauses(split.graph, evidence, issue.target.node, p);
  const ms = performance.now() - started;
  const rank = ranked.findIndex((r) => r.node === issue.rootCause);
  const rootScore = rank < 0 ? 0 : ranked[rank]!.score;
  const bestOther = Math.max(0, ...ranked.filter((r) => r.node !== issue.rootCause).map((r) => r.score));
  return {
    split: split.name,
    set,
    issue: issue.id,
    kind: issueKind(issue.target.metric),
    rootCause: issue.rootCause,
    rank: rank < 0 ? Number.POSITIVE_INFINITY : rank + 1,
    margin: rootScore - bestOther,
    top: ranked.slice(0, 3).map((r) => r.node),
    ms,
  };
}

interface Tally {
  n: number;
  top1: number;
  top3: number;
  ms: number;
}
const tally = (cases: CaseResult[]): Tally => ({
  n: cases.length,
  top1: cases.filter((c) => c.rank <= 1).length,
  top3: cases.filter((c) => c.rank <= 3).length,
  ms: cases.reduce((a, c) => a + c.ms, 0),
});
const share = (x: number, n: number) => (n === 0 ? 0 : Math.round((x / n) * 1000) / 1000);

/** Parses --param overrides of PETSHOP_PARAMS (numbers, true/false). */
export function paramsFrom(overrides: Record<string, string>): PetshopParams {
  const p: Record<string, number | boolean> = { ...PETSHOP_PARAMS };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in PETSHOP_PARAMS)) continue;
    p[k] = typeof PETSHOP_PARAMS[k as keyof PetshopParams] === 'boolean' ? v === 'true' : Number(v);
    if (typeof p[k] === 'number' && !Number.isFinite(p[k])) throw new Error(`--param ${k} must be a number, got "${v}"`);
  }
  return p as PetshopParams;
}

/**
 * The small grid the global parameter set was checked on, train issues only: best AC@1, then AC@3, then mean rank;
 * among ties (the 8 low-traffic train issues share one root cause and tie often) the fewest changes from the
 * a-priori PETSHOP_PARAMS, then the mean margin of the true root cause over the best other node.
 */
export const TUNING_GRID: Partial<Record<keyof PetshopParams, (number | boolean)[]>> = {
  zThreshold: [3, 5, 8],
  victimDiscount: [0.5, 0.85, 1],
  coverageExponent: [0, 0.5, 1],
  pagerankWeight: [0, 0.3, 0.6],
  usePreTrigger: [true, false],
  temporalPaths: [true, false],
};

function* gridPoints(base: PetshopParams): Generator<PetshopParams> {
  const keys = Object.keys(TUNING_GRID) as (keyof PetshopParams)[];
  const rec = function* (i: number, acc: PetshopParams): Generator<PetshopParams> {
    if (i === keys.length) {
      yield acc;
      return;
    }
    for (const v of TUNING_GRID[keys[i]!]!) yield* rec(i + 1, { ...acc, [keys[i]!]: v });
  };
  yield* rec(0, base);
}

function tune(splits: TrafficSplit[], base: PetshopParams): { params: PetshopParams; top1: number; top3: number; meanRank: number; margin: number }[] {
  const results = [];
  for (const p of gridPoints(base)) {
    const cases = splits.flatMap((s) => s.train.map((i) => runCase(s, i, 'train', p)));
    const t = tally(cases);
    const meanRank = cases.reduce((a, c) => a + Math.min(c.rank, 50), 0) / Math.max(1, cases.length);
    const margin = cases.reduce((a, c) => a + c.margin, 0) / Math.max(1, cases.length);
    results.push({ params: p, top1: share(t.top1, t.n), top3: share(t.top3, t.n), meanRank: Math.round(meanRank * 100) / 100, margin: Math.round(margin * 1000) / 1000 });
  }
  const changes = (q: PetshopParams) => (Object.keys(TUNING_GRID) as (keyof PetshopParams)[]).filter((k) => q[k] !== PETSHOP_PARAMS[k]).length;
  return results.sort(
    (a, b) => b.top1 - a.top1 || b.top3 - a.top3 || a.meanRank - b.meanRank || changes(a.params) - changes(b.params) || b.margin - a.margin,
  );
}

function resolveRoot(data: string | undefined, datasetsDir: string): string {
  const base = data ?? datasetsDir;
  const nested = path.join(base, 'petshop');
  return existsSync(nested) ? nested : base;
}

/** PetShop metric RCA: AC@1/AC@3 of the root-cause ranking on the test issues of every traffic split present. */
export const petshopSuite: BenchSuite = {
  name: 'petshop',
  description:
    'PetShop call-graph RCA from metrics: AC@1/AC@3 per traffic split and issue kind on the test issues, train+test beside the published anchors (params: tune=1, any PETSHOP_PARAMS key)',
  async run({ config, data, params, progress }) {
    const root = resolveRoot(data, config.datasetsDir);
    const { splits, skipped } = loadSplits(root);
    if (splits.length === 0) throw new Error(`no usable PetShop traffic split (a folder with graph.csv) under ${root}`);
    const skippedText = skipped.length ? `\nSkipped splits: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : '';
    const p = paramsFrom(params);

    if (params.tune) {
      const results = tune(splits, p);
      const keys = Object.keys(TUNING_GRID) as (keyof PetshopParams)[];
      const table = renderTable(
        [...keys, 'AC@1', 'AC@3', 'mean rank', 'margin'],
        results.slice(0, 15).map((r) => [...keys.map((k) => String(r.params[k])), r.top1, r.top3, r.meanRank, r.margin]),
      );
      return {
        suite: 'petshop',
        text: `PetShop parameter grid on the TRAIN issues of ${splits.map((s) => s.name).join(', ')} (best first)\n\n${table}`,
        json: { summary: { best: results[0] }, grid: results },
      };
    }

    const cases: CaseResult[] = [];
    for (const split of splits) {
      for (const set of ['train', 'test'] as const) {
        const issues = set === 'train' ? split.train : split.test;
        issues.forEach((issue, i) => {
          progress(`${split.name} ${set} [${i + 1}/${issues.length}] ${issue.id}`);
          cases.push(runCase(split, issue, set, p));
        });
      }
    }

    const rows: (string | number)[][] = [];
    const bySplit: Record<string, Record<string, unknown>> = {};
    const secs = (t: Tally) => (t.n === 0 ? 0 : Math.round((t.ms / 1000 / t.n) * 10000) / 10000);
    const rowFor = (label: string, kind: string, test: CaseResult[], both: CaseResult[], anchor?: { top1: number; top3: number }) => {
      const t = tally(test);
      const b = tally(both);
      rows.push([
        label,
        kind,
        t.n,
        share(t.top1, t.n),
        share(t.top3, t.n),
        b.n,
        share(b.top1, b.n),
        share(b.top3, b.n),
        anchor ? anchor.top1.toFixed(3) : '–',
        anchor ? anchor.top3.toFixed(3) : '–',
        secs(t),
      ]);
      return {
        test: { cases: t.n, top1: share(t.top1, t.n), top3: share(t.top3, t.n), secondsPerCase: secs(t) },
        trainAndTest: { cases: b.n, top1: share(b.top1, b.n), top3: share(b.top3, b.n) },
        anchorTrainAndTest: anchor ?? null,
      };
    };
    for (const split of splits) {
      const mine = cases.filter((c) => c.split === split.name);
      bySplit[split.name] = {};
      for (const kind of ['latency', 'availability', 'all'] as const) {
        const both = kind === 'all' ? mine : mine.filter((c) => c.kind === kind);
        if (both.length === 0) continue;
        const anchor = kind === 'all' ? undefined : anchorFor(split.name)?.[kind];
        bySplit[split.name]![kind] = rowFor(split.name, kind, both.filter((c) => c.set === 'test'), both, anchor);
      }
    }
    const overall = rowFor('all', 'all', cases.filter((c) => c.set === 'test'), cases);
    const table = renderTable(
      ['split', 'kind', 'test', 'AC@1', 'AC@3', 'train+test', 'AC@1', 'AC@3', 'anchor AC@1', 'anchor AC@3', 's/case'],
      rows,
    );
    const misses = cases.filter((c) => c.rank > 1);
    const missText = misses.length
      ? `\n\nNot first:\n${misses.map((m) => `  ${m.split}/${m.set}/${m.issue} (${m.kind}) root ${m.rootCause} at rank ${m.rank}; top: ${m.top.join(', ')}`).join('\n')}`
      : '';
    const anchorsNote =
      "\nAnchors: the dataset authors' anomaly-traversal baseline (arXiv 2311.04806; their notebook scores train+test together, " +
      'temporal_traffic1+2 as one figure): compare them with the train+test columns. Train issues were used only to choose the one global parameter set.';
    const paramText = `\nParameters: ${JSON.stringify(p)}`;
    return {
      suite: 'petshop',
      text: `PetShop root-cause ranking, ${root}\n\n${table}${anchorsNote}${paramText}${skippedText}${missText}`,
      json: {
        summary: { ...overall.test, trainAndTest: overall.trainAndTest },
        splits: bySplit,
        skipped,
        params: p,
        cases: cases.map((c) => ({ ...c, rank: Number.isFinite(c.rank) ? c.rank : null })),
      },
    };
  },
};
