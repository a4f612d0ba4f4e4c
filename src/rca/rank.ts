import type { FaultKind, Finding, Hypothesis } from '../model/evidence.js';
import { type DependencyGraph, parseLink, serviceCallers } from './graph.js';

/**
 * Root-cause ranking on the dependency graph. A good candidate is anomalous itself, lies downstream of the symptoms
 * (it explains them), is not itself explained by an anomalous dependency that started no later (then it is a victim),
 * is seen by most of its own callers (a sick database hurts all its users, not some), started first, and shows a
 * fault-specific signature rather than only generic latency/errors. Every factor is in [0, 1] and the same
 * parameters serve every incident: nothing here knows the scenarios.
 */
export const RANKING_PARAMS = {
  /** minutes of onset difference still read as "the same time" (telemetry has 1-minute resolution) */
  onsetToleranceMs: 2 * 60_000,
  /** anomaly strength from which a component counts as a symptom */
  symptomThreshold: 0.3,
  /** weakest anomaly that makes a component a candidate */
  candidateThreshold: 0.15,
  /** how much an earlier-or-simultaneous anomalous dependency discounts a candidate */
  victimDiscount: 0.85,
  /** a change this long before the onset still counts as its possible trigger */
  changeLookbackMs: 30 * 60_000,
} as const;

export interface ComponentEvidence {
  component: string;
  findings: Finding[];
  changes: Finding[];
  anomaly: number;
  onsetMs: number;
  specificity: number;
}

export interface RankInput {
  findings: Finding[];
  graph: DependencyGraph;
  /** components named by the alert or question: they must be explained */
  alerted: string[];
}

const isChange = (f: Finding) => f.anomaly === 'change';

export function gatherEvidence(findings: Finding[]): Map<string, ComponentEvidence> {
  const byComponent = new Map<string, ComponentEvidence>();
  for (const f of findings) {
    const e = byComponent.get(f.component) ?? {
      component: f.component,
      findings: [],
      changes: [],
      anomaly: 0,
      onsetMs: Number.POSITIVE_INFINITY,
      specificity: 0,
    };
    if (isChange(f)) e.changes.push(f);
    else {
      e.findings.push(f);
      // noisy-or: independent observations of the same component reinforce each other
      e.anomaly = 1 - (1 - e.anomaly) * (1 - f.score);
      if (f.score >= RANKING_PARAMS.candidateThreshold) e.onsetMs = Math.min(e.onsetMs, f.onsetMs);
      if (f.faultHints.length > 0) e.specificity = Math.max(e.specificity, f.score);
    }
    byComponent.set(f.component, e);
  }
  for (const e of byComponent.values()) {
    if (!Number.isFinite(e.onsetMs)) e.onsetMs = Math.min(...e.findings.map((f) => f.onsetMs), Number.POSITIVE_INFINITY);
  }
  return byComponent;
}

/** Fault kind that the evidence on a component points to; changes shortly before the onset count too. */
export function inferKind(e: ComponentEvidence, graph: DependencyGraph): { kind: FaultKind; support: number } {
  const votes = new Map<FaultKind, number>();
  const vote = (k: FaultKind, w: number) => votes.set(k, (votes.get(k) ?? 0) + w);
  for (const f of e.findings) for (const k of f.faultHints) vote(k, f.score / f.faultHints.length);
  for (const c of e.changes) {
    const lead = e.onsetMs - c.onsetMs;
    if (lead < -RANKING_PARAMS.onsetToleranceMs || lead > RANKING_PARAMS.changeLookbackMs) continue;
    for (const k of c.faultHints) vote(k, c.score / c.faultHints.length);
  }
  let best: { kind: FaultKind; support: number } | null = null;
  for (const [kind, support] of votes) if (!best || support > best.support) best = { kind, support };
  if (best) return best;
  return { kind: defaultKindFor(e.component, graph), support: 0 };
}

function defaultKindFor(component: string, graph: DependencyGraph): FaultKind {
  switch (graph.kindOf(component)) {
    case 'database':
      return 'db_connection_exhaustion';
    case 'cache':
      return 'cache_outage';
    case 'external':
      return 'third_party_timeout';
    case 'link':
      return 'network_latency';
    default:
      return 'bad_deploy';
  }
}

/** The components whose anomalies a fault in `component` would cause: itself and everything calling into it. */
export function blastRadius(component: string, graph: DependencyGraph): Set<string> {
  const up = graph.upstreamOf(component);
  up.add(component);
  const link = parseLink(component);
  if (link) up.add(link.caller);
  return up;
}

export function rankHypotheses(input: RankInput): Hypothesis[] {
  const { graph } = input;
  const evidence = gatherEvidence(input.findings);
  const anomalyOf = (c: string) => evidence.get(c)?.anomaly ?? 0;
  const symptoms = new Set(
    [...evidence.values()].filter((e) => e.anomaly >= RANKING_PARAMS.symptomThreshold).map((e) => e.component),
  );
  for (const a of input.alerted) symptoms.add(a);
  const firstSymptomMs = Math.min(...[...symptoms].map((s) => evidence.get(s)?.onsetMs ?? Number.POSITIVE_INFINITY));

  const scored: Hypothesis[] = [];
  for (const e of evidence.values()) {
    if (e.component === 'business' || e.anomaly < RANKING_PARAMS.candidateThreshold) continue;
    if (graph.kindOf(e.component) === 'unknown') continue;
    const radius = blastRadius(e.component, graph);
    const explained = [...symptoms].filter((s) => radius.has(s) || s === 'business');
    const coverage = symptoms.size === 0 ? 1 : explained.length / symptoms.size;

    // A dependency that is anomalous and started no later than this component explains it: this one is a victim.
    let blame = 0;
    for (const d of graph.downstreamOf(e.component)) {
      const de = evidence.get(d);
      if (!de || de.onsetMs > e.onsetMs + RANKING_PARAMS.onsetToleranceMs) continue;
      blame = Math.max(blame, de.anomaly);
    }

    const callers = serviceCallers(graph, e.component);
    const precision =
      callers.length < 2 ? 1 : callers.filter((c) => anomalyOf(c) >= RANKING_PARAMS.symptomThreshold || anomalyOf(`${c}->${e.component}`) > 0).length / callers.length;
    const late = e.onsetMs > firstSymptomMs + RANKING_PARAMS.onsetToleranceMs;
    const { kind, support } = inferKind(e, graph);

    const score =
      e.anomaly *
      (0.4 + 0.6 * coverage) *
      (1 - RANKING_PARAMS.victimDiscount * blame) *
      (0.5 + 0.5 * precision) *
      (late ? 0.6 : 1) *
      (0.7 + 0.3 * e.specificity);

    const top = [...e.findings].sort((a, b) => b.score - a.score).slice(0, 3);
    const recentChanges = e.changes.filter((c) => c.onsetMs <= e.onsetMs + RANKING_PARAMS.onsetToleranceMs);
    scored.push({
      id: `h-${e.component}-${kind}`,
      component: e.component,
      kind,
      score: round(score),
      confidence: 0,
      onsetMs: e.onsetMs,
      evidence: [
        ...top.map((f) => f.summary),
        ...recentChanges.slice(0, 1).map((c) => c.summary),
        `explains ${explained.length} of ${symptoms.size} symptomatic components`,
        ...(blame > 0 ? [`a dependency is anomalous too (strength ${blame.toFixed(2)})`] : []),
        ...(support === 0 ? ['fault kind guessed from the component type: no specific signature'] : []),
      ],
      findingIds: [...top, ...recentChanges].map((f) => f.id),
      explains: explained,
    });
  }
  scored.sort((a, b) => b.score - a.score || a.onsetMs - b.onsetMs || a.component.localeCompare(b.component));
  return withConfidence(scored);
}

/** Confidence: how clearly a hypothesis beats the rest, scaled by its own strength. */
export function withConfidence(ranked: Hypothesis[]): Hypothesis[] {
  const total = ranked.slice(0, 5).reduce((s, h) => s + h.score, 0);
  return ranked.map((h) => ({ ...h, confidence: total > 0 ? round((h.score / total) * Math.min(1, h.score * 2)) : 0 }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
