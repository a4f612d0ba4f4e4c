import { scanWindow } from '../../analytics/metric-anomaly.js';
import { median, robustScale } from '../../analytics/robust.js';
import type { MetricPoint } from '../../model/telemetry.js';
import type { CallGraph, IssueTarget, MetricsTable } from './parse.js';

/**
 * Root-cause ranking on a call graph from per-node metrics, for one SLO violation on a known node ("the symptom").
 *
 * 1. Evidence per node, in the symptom's own terms: for latency a robust z of the level since the violation against
 *    the normal period (the project's `scanWindow`, so a lone blip is a spike and a shift is sustained); for
 *    availability the surprise of the error count (errors = (100 − availability) % of requests) under the normal
 *    error rate, as a Poisson tail turned into a z-equivalent. Both take the issue's own rows before the violation
 *    as a second baseline: a node that was already that far off before the violation did not change with it.
 * 2. Traversal: from the symptom, follow callees while they are anomalous and their anomaly started no later than
 *    their caller's (an anomaly climbs from callee to caller; it does not start below after it showed above). A node with an anomalous callee whose
 *    excess (seconds, or excess errors) covers its own is explained by that callee, and is discounted as a victim;
 *    the deepest anomalous callee keeps its full score. The score grows with the number of anomalous nodes above
 *    (the symptoms a node would explain). Anomalous nodes off the symptom's anomalous paths count for little.
 * 3. Personalised PageRank from the symptom over the anomaly-weighted call graph (walking to callers too, a little),
 *    so strength along the whole path counts, blended with the traversal score.
 * One parameter set serves every case and every split.
 */
export const PETSHOP_PARAMS = {
  /** z (or error z-equivalent) from which a node counts as anomalous */
  zThreshold: 5,
  /** latency scale floor relative to the normal median (5-minute averages of few requests are noisy) */
  latencyRelFloor: 0.05,
  /** latency changes smaller than this share of the normal level are ignored */
  minRelChange: 0.1,
  /** a lone spike counts this much of a sustained shift */
  spikeWeight: 0.5,
  /** fewest excess errors that make an availability anomaly */
  minExcessErrors: 2,
  /** how much an anomalous callee that covers a node's own excess discounts the node (it is a victim) */
  victimDiscount: 0.85,
  /**
   * a root cause explains anomalies above it: the traversal score grows as (1 + anomalous callers, transitively)^this
   */
  coverageExponent: 0.5,
  /** follow a callee only when its anomaly started no later than its caller's (same 5-minute row allowed) */
  temporalPaths: true,
  /** weight of an anomalous node that no anomalous path links to the symptom */
  offPathWeight: 0.2,
  /** share of the PageRank score in the final one */
  pagerankWeight: 0.3,
  /** PageRank: probability of following an edge rather than teleporting back to the symptom */
  pagerankAlpha: 0.85,
  /** PageRank: weight of stepping back to a caller relative to going on to a callee */
  backtrack: 0.2,
  /** use the issue's rows before the violation as a second baseline */
  usePreTrigger: true,
};
export type PetshopParams = typeof PETSHOP_PARAMS;

export type IssueKind = 'latency' | 'availability';

export interface NodeEvidence {
  node: string;
  /** strength: robust z (latency) or z-equivalent of the error surprise (availability), ≥ 0 */
  z: number;
  /** excess in absolute units: seconds of latency, or errors beyond the expected count */
  excess: number;
  /** index of the first window row at which the anomaly shows (−1 when none) */
  onsetRow: number;
  anomalous: boolean;
}

export interface RankedNode {
  node: string;
  score: number;
  traversal: number;
  pagerank: number;
  evidence?: NodeEvidence;
  onPath: boolean;
}

/** Index of the row holding the violation (the last row starting at or before it), never below 0. */
export function triggerRow(ts: readonly number[], targetMs: number): number {
  let at = 0;
  ts.forEach((t, i) => {
    if (t <= targetMs) at = i;
  });
  return at;
}

const finite = (xs: readonly number[]) => xs.filter((x) => Number.isFinite(x));

function column(table: MetricsTable, node: string, metric: string, statistic: string): number[] | undefined {
  return table.columns.find((c) => c.node === node && c.metric === metric && c.statistic === statistic)?.values;
}

/** Latency evidence of one node: robust z of the level since the violation (project's scanWindow). */
export function latencyEvidence(
  node: string,
  normal: readonly number[],
  issue: readonly number[],
  ts: readonly number[],
  start: number,
  p: PetshopParams = PETSHOP_PARAMS,
): NodeEvidence | null {
  const base = finite(normal);
  if (base.length < 10) return null;
  let center = median(base);
  const scale = robustScale(base, { relFloor: p.latencyRelFloor }, center);
  const pre = finite(issue.slice(0, start));
  if (p.usePreTrigger && pre.length > 0) center = Math.max(center, median(pre));
  const win: MetricPoint[] = [];
  for (let i = start; i < issue.length; i++) if (Number.isFinite(issue[i]!)) win.push({ ts: ts[i]!, value: issue[i]! });
  if (win.length === 0) return null;
  const a = scanWindow(win, center, scale, {
    direction: 'up',
    zThreshold: p.zThreshold,
    spikeZ: p.zThreshold,
    minRelChange: p.minRelChange,
  });
  if (!a) return { node, z: 0, excess: 0, onsetRow: -1, anomalous: false };
  const weight = a.kind === 'spike' ? p.spikeWeight : 1;
  const level = a.kind === 'spike' ? a.peak : a.current;
  return { node, z: a.z * weight, excess: Math.max(0, level - center), onsetRow: ts.indexOf(a.onsetMs), anomalous: true };
}

/** −ln P(X ≥ k) for X ~ Poisson(λ) (0 when k ≤ λ). */
export function poissonUpperTailNegLog(k: number, lambda: number): number {
  if (!(k > lambda)) return 0;
  const lam = Math.max(lambda, 1e-12);
  const kk = Math.ceil(k);
  // log pmf(kk), then the tail as a sum of ratios λ/(j+1)
  let logPmf = -lam + kk * Math.log(lam) - logFactorial(kk);
  let sum = 1;
  let term = 1;
  for (let j = kk; j < kk + 10_000; j++) {
    term *= lam / (j + 1);
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  logPmf += Math.log(sum);
  return Math.max(0, -logPmf);
}

function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 50) {
    let s = 0;
    for (let i = 2; i <= n; i++) s += Math.log(i);
    return s;
  }
  // Stirling with the first correction terms
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/** Availability evidence: surprise of the errors since the violation under the normal (and pre-violation) rate. */
export function availabilityEvidence(
  node: string,
  normal: { availability: readonly number[]; requests: readonly number[] },
  issue: { availability: readonly number[]; requests: readonly number[] },
  start: number,
  p: PetshopParams = PETSHOP_PARAMS,
): NodeEvidence | null {
  const errorsOf = (a: readonly number[], r: readonly number[], from: number, to: number) => {
    let e = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      if (!Number.isFinite(a[i]!) || !Number.isFinite(r[i]!)) continue;
      e += ((100 - a[i]!) / 100) * r[i]!;
      n += r[i]!;
    }
    return { e: Math.max(0, e), n };
  };
  const base = errorsOf(normal.availability, normal.requests, 0, normal.availability.length);
  if (base.n <= 0 || finite(normal.availability).length < 10) return null;
  let rate = (base.e + 0.5) / (base.n + 1);
  if (p.usePreTrigger && start > 0) {
    const pre = errorsOf(issue.availability, issue.requests, 0, start);
    if (pre.n > 0) rate = Math.max(rate, pre.e / pre.n);
  }
  const win = errorsOf(issue.availability, issue.requests, start, issue.availability.length);
  if (win.n <= 0) return null;
  const expected = rate * win.n;
  const excess = win.e - expected;
  const z = Math.sqrt(2 * poissonUpperTailNegLog(win.e, expected));
  const anomalous = z >= p.zThreshold && excess >= p.minExcessErrors;
  let onsetRow = -1;
  if (anomalous) {
    for (let i = start; i < issue.availability.length && onsetRow < 0; i++) {
      const row = errorsOf(issue.availability, issue.requests, i, i + 1);
      if (row.n > 0 && row.e - rate * row.n >= 1 && Math.sqrt(2 * poissonUpperTailNegLog(row.e, rate * row.n)) >= p.zThreshold) onsetRow = i;
    }
    if (onsetRow < 0) onsetRow = start;
  }
  return { node, z: anomalous ? z : 0, excess: Math.max(0, excess), onsetRow, anomalous };
}

export function issueKind(metric: string): IssueKind {
  return metric === 'availability' ? 'availability' : 'latency';
}

/** Evidence for every node of the graph that has data, in the terms of the symptom's metric. */
export function gatherEvidence(
  graph: CallGraph,
  normal: MetricsTable,
  issue: MetricsTable,
  target: IssueTarget,
  p: PetshopParams = PETSHOP_PARAMS,
): Map<string, NodeEvidence> {
  const start = triggerRow(issue.ts, target.ts);
  const kind = issueKind(target.metric);
  const out = new Map<string, NodeEvidence>();
  const nodes = new Set([...graph.nodes, ...issue.columns.map((c) => c.node)]);
  for (const node of nodes) {
    let e: NodeEvidence | null = null;
    if (kind === 'latency') {
      const n = column(normal, node, 'latency', target.statistic);
      const x = column(issue, node, 'latency', target.statistic);
      if (n && x) e = latencyEvidence(node, n, x, issue.ts, start, p);
    } else {
      const na = column(normal, node, 'availability', target.statistic);
      const nr = column(normal, node, 'requests', 'Sum');
      const xa = column(issue, node, 'availability', target.statistic);
      const xr = column(issue, node, 'requests', 'Sum');
      if (na && nr && xa && xr) e = availabilityEvidence(node, { availability: na, requests: nr }, { availability: xa, requests: xr }, start, p);
    }
    if (e) out.set(node, e);
  }
  return out;
}

/**
 * Ranks every node as the root cause of the symptom on `start`: traversal of anomalous callees with victim
 * discounts, blended with personalised PageRank on the anomaly-weighted call graph.
 */
export function rankRootCauses(
  graph: CallGraph,
  evidence: Map<string, NodeEvidence>,
  start: string,
  p: PetshopParams = PETSHOP_PARAMS,
): RankedNode[] {
  const callees = (n: string) => graph.callees.get(n) ?? [];
  const callers = (n: string) => graph.callers.get(n) ?? [];
  const ev = (n: string) => evidence.get(n);
  const isAnomalous = (n: string) => ev(n)?.anomalous === true;
  const nodes = [...new Set([...graph.nodes, ...evidence.keys(), start])];

  // an anomaly propagates from callee to caller, so a callee whose anomaly shows only after its caller's explains none of it
  const startedInTime = (callee: string, caller: string): boolean => {
    if (!p.temporalPaths) return true;
    const a = ev(callee);
    const b = ev(caller);
    return !(a?.anomalous && b?.anomalous && a.onsetRow > b.onsetRow);
  };
  // nodes the symptom reaches through anomalous callees that started no later than their caller, with their depth
  const depth = new Map<string, number>([[start, 0]]);
  const queue = [start];
  while (queue.length > 0) {
    const u = queue.shift()!;
    for (const c of callees(u)) {
      if (depth.has(c) || !isAnomalous(c) || !startedInTime(c, u)) continue;
      depth.set(c, depth.get(u)! + 1);
      queue.push(c);
    }
  }

  // how much of a node's excess an anomalous callee covers
  const explained = (n: string): number => {
    const e = ev(n);
    if (!e?.anomalous || !(e.excess > 0)) return 0;
    let best = 0;
    for (const c of callees(n)) {
      const ce = ev(c);
      if (ce?.anomalous && startedInTime(c, n)) best = Math.max(best, Math.min(1, ce.excess / e.excess));
    }
    return best;
  };
  // how many anomalous nodes sit above a node, through anomalous callers: the symptoms it would explain
  const anomalousUpstream = (n: string): number => {
    const seen = new Set<string>();
    const stack = [n];
    while (stack.length > 0) {
      for (const w of callers(stack.pop()!)) {
        if (seen.has(w) || w === n || !(isAnomalous(w) || w === start)) continue;
        seen.add(w);
        stack.push(w);
      }
    }
    return seen.size;
  };
  const traversal = new Map<string, number>();
  for (const n of nodes) {
    const e = ev(n);
    if (!e?.anomalous) {
      traversal.set(n, 0);
      continue;
    }
    // z compressed: past the threshold, how far past matters less than where in the graph the anomaly sits
    const strength = Math.log1p(e.z / p.zThreshold);
    const own = strength * (1 - p.victimDiscount * explained(n)) * (1 + anomalousUpstream(n)) ** p.coverageExponent;
    traversal.set(n, depth.has(n) ? own : own * p.offPathWeight);
  }

  const inTimeCallees = (n: string) => callees(n).filter((c) => startedInTime(c, n));
  const inTimeCallers = (n: string) => callers(n).filter((w) => startedInTime(n, w));
  const pagerank = personalisedPageRank(nodes, start, inTimeCallees, inTimeCallers, (n) => {
    const e = ev(n);
    return e?.anomalous ? e.z / (e.z + p.zThreshold) : 0;
  }, explained, p);

  const maxT = Math.max(1e-12, ...traversal.values());
  const maxP = Math.max(1e-12, ...pagerank.values());
  const ranked = nodes.map((node) => {
    const t = traversal.get(node)! / maxT;
    const pr = pagerank.get(node)! / maxP;
    const e = ev(node);
    return {
      node,
      score: (1 - p.pagerankWeight) * t + p.pagerankWeight * pr,
      traversal: t,
      pagerank: pr,
      ...(e ? { evidence: e } : {}),
      onPath: depth.has(node),
    };
  });
  const deep = (n: string) => depth.get(n) ?? -1;
  return ranked.sort((a, b) => b.score - a.score || deep(b.node) - deep(a.node) || a.node.localeCompare(b.node));
}

/**
 * Random walk from the symptom: from u go to a callee c with weight a(c), back to a caller w with weight
 * backtrack·a(w), or stay with weight a(u)·(1 − explained(u)) (an anomaly nothing below explains holds the walker);
 * with probability 1 − alpha, or when nowhere to go, return to the symptom. Visit frequencies are the scores.
 */
export function personalisedPageRank(
  nodes: readonly string[],
  start: string,
  callees: (n: string) => string[],
  callers: (n: string) => string[],
  anomaly: (n: string) => number,
  explained: (n: string) => number,
  p: Pick<PetshopParams, 'pagerankAlpha' | 'backtrack'>,
): Map<string, number> {
  const index = new Map(nodes.map((n, i) => [n, i]));
  const s = index.get(start)!;
  const moves = nodes.map((u) => {
    const out: [number, number][] = [];
    for (const c of callees(u)) if (index.has(c) && anomaly(c) > 0) out.push([index.get(c)!, anomaly(c)]);
    for (const w of callers(u)) if (index.has(w) && anomaly(w) > 0) out.push([index.get(w)!, p.backtrack * anomaly(w)]);
    const stay = anomaly(u) * (1 - explained(u));
    if (stay > 0) out.push([index.get(u)!, stay]);
    const total = out.reduce((a, [, w]) => a + w, 0);
    return total > 0 ? out.map(([j, w]) => [j, w / total] as [number, number]) : [];
  });
  let x = new Float64Array(nodes.length);
  x[s] = 1;
  for (let iter = 0; iter < 200; iter++) {
    const next = new Float64Array(nodes.length);
    let lost = 0;
    for (let i = 0; i < nodes.length; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const m = moves[i]!;
      if (m.length === 0) {
        lost += xi;
        continue;
      }
      for (const [j, w] of m) next[j]! += p.pagerankAlpha * xi * w;
      lost += (1 - p.pagerankAlpha) * xi;
    }
    next[s]! += lost;
    let diff = 0;
    for (let i = 0; i < nodes.length; i++) diff += Math.abs(next[i]! - x[i]!);
    x = next;
    if (diff < 1e-10) break;
  }
  return new Map(nodes.map((n, i) => [n, x[i]!]));
}
