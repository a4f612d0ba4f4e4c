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
  /** onset difference still read as "the same time": 1-minute telemetry, and detectors date onsets ±1–2 minutes */
  onsetToleranceMs: 3 * 60_000,
  /** anomaly strength from which a component counts as a symptom */
  symptomThreshold: 0.3,
  /** a symptom this clear dates the incident */
  strongSymptom: 0.6,
  /** weakest anomaly that makes a component a candidate */
  candidateThreshold: 0.15,
  /** how much an earlier-or-simultaneous anomalous dependency discounts a candidate */
  victimDiscount: 0.85,
  /** a change this long before the onset still counts as its possible trigger */
  changeLookbackMs: 30 * 60_000,
  /** findings at least this share of a component's strongest one date its anomaly */
  dominantShare: 0.8,
  /** a cause may lead its symptoms by this much at full weight (leaks and disks fill slowly) */
  maxLeadMs: 15 * 60_000,
  /** a transient spike that is over counts for less than a sustained change */
  spikeWeight: 0.5,
} as const;

export interface ComponentEvidence {
  component: string;
  findings: Finding[];
  /** changes that may have caused something: releases, config edits, patches */
  changes: Finding[];
  /** fixes made to this component (by the copilot or other incident automation): context, never a cause */
  remediations: Finding[];
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

const isRemediation = (f: Finding) => f.anomaly === 'change' && f.origin === 'remediation';
const isChange = (f: Finding) => f.anomaly === 'change' && !isRemediation(f);

/**
 * A restart that began with a remediation of the same component (a restart, a rollback's rollout) is what the fix
 * did, not a symptom: counting it would make the copilot suspect its own action in the next diagnosis.
 */
function causedByRemediation(f: Finding, remediations: Finding[]): boolean {
  return f.anomaly === 'restart' && remediations.some((r) => r.component === f.component && f.onsetMs >= r.onsetMs - 60_000 && f.onsetMs <= r.onsetMs + RANKING_PARAMS.onsetToleranceMs);
}

export function gatherEvidence(findings: Finding[]): Map<string, ComponentEvidence> {
  // The same observation attached to several components (a host metric seen by every service on the host) points at
  // none of them in particular: it is split between them.
  const sharedBy = new Map<string, Set<string>>();
  const sharingKey = (f: Finding) => `${f.expert}|${f.signal}|${f.summary}`;
  for (const f of findings) sharedBy.set(sharingKey(f), (sharedBy.get(sharingKey(f)) ?? new Set()).add(f.component));

  const remediations = findings.filter(isRemediation);
  const byComponent = new Map<string, ComponentEvidence>();
  const weighted = new Map<string, number[]>();
  for (const f of findings) {
    if (causedByRemediation(f, remediations)) continue;
    const e = byComponent.get(f.component) ?? {
      component: f.component,
      findings: [],
      changes: [],
      remediations: [],
      anomaly: 0,
      onsetMs: Number.POSITIVE_INFINITY,
      specificity: 0,
    };
    byComponent.set(f.component, e);
    if (isRemediation(f)) {
      e.remediations.push(f);
      continue;
    }
    if (isChange(f)) {
      e.changes.push(f);
      continue;
    }
    e.findings.push(f);
    const share = 1 / (sharedBy.get(sharingKey(f))?.size ?? 1);
    const weight = (f.anomaly === 'spike' ? RANKING_PARAMS.spikeWeight : 1) * share;
    weighted.set(f.component, [...(weighted.get(f.component) ?? []), f.score * weight]);
    if (f.faultHints.length > 0) e.specificity = Math.max(e.specificity, f.score * share);
  }
  for (const e of byComponent.values()) {
    e.anomaly = combineScores(weighted.get(e.component) ?? []);
    e.onsetMs = dominantOnset(e.findings);
  }
  return byComponent;
}

/**
 * Several observations of one component reinforce each other, with diminishing returns: the strongest counts fully,
 * the next half, the next a quarter. Many weak blips must not add up to one strong anomaly.
 */
export function combineScores(scores: number[]): number {
  const sorted = [...scores].sort((a, b) => b - a);
  let miss = 1;
  sorted.forEach((s, i) => (miss *= 1 - s * 0.5 ** i));
  return 1 - miss;
}

/**
 * When the component's main anomaly began: the earliest onset among its strong findings. A weak blip an hour earlier
 * (a WARN burst, a coupon-code surge) must not make a victim look like it started first.
 */
export function dominantOnset(findings: Finding[]): number {
  const strongest = Math.max(0, ...findings.map((f) => f.score));
  const floor = Math.min(strongest, Math.max(RANKING_PARAMS.candidateThreshold, RANKING_PARAMS.dominantShare * strongest));
  return Math.min(...findings.filter((f) => f.score >= floor).map((f) => f.onsetMs), Number.POSITIVE_INFINITY);
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
  const incidentOnsetMs = symptomOnset(evidence, symptoms, input.alerted);

  const scored: Hypothesis[] = [];
  for (const e of evidence.values()) {
    if (e.component === 'business' || e.anomaly < RANKING_PARAMS.candidateThreshold) continue;
    if (graph.kindOf(e.component) === 'unknown') continue;
    const radius = blastRadius(e.component, graph);
    const explained = [...symptoms].filter((s) => radius.has(s) || s === 'business');
    const coverage = symptoms.size === 0 ? 1 : explained.length / symptoms.size;

    // A dependency that is anomalous and started no later than this component explains it: this one is a victim.
    // A dependency much less anomalous than this component explains only part of it.
    let blame = 0;
    for (const d of [...graph.downstreamOf(e.component), ...graph.shadowedBy(e.component)]) {
      const de = evidence.get(d);
      if (!de || de.onsetMs > e.onsetMs + RANKING_PARAMS.onsetToleranceMs) continue;
      blame = Math.max(blame, de.anomaly * Math.min(1, de.anomaly / e.anomaly));
    }

    const callers = serviceCallers(graph, e.component);
    const precision =
      callers.length < 2 ? 1 : callers.filter((c) => anomalyOf(c) >= RANKING_PARAMS.symptomThreshold || anomalyOf(`${c}->${e.component}`) > 0).length / callers.length;
    const timing = timingFactor(e.onsetMs, incidentOnsetMs);
    const { kind, support } = inferKind(e, graph);

    const score =
      e.anomaly *
      (0.4 + 0.6 * coverage) *
      (1 - RANKING_PARAMS.victimDiscount * blame) *
      (0.5 + 0.5 * precision) *
      timing *
      (0.7 + 0.3 * e.specificity);

    const top = [...e.findings].sort((a, b) => b.score - a.score).slice(0, 3);
    const recentChanges = e.changes.filter((c) => c.onsetMs <= e.onsetMs + RANKING_PARAMS.onsetToleranceMs);
    // A fault caused by a change began with the change, even if its effects were measured a minute later.
    const trigger = recentChanges.filter((c) => c.faultHints.includes(kind) && e.onsetMs - c.onsetMs <= RANKING_PARAMS.changeLookbackMs);
    const onsetMs = Math.min(e.onsetMs, ...trigger.map((c) => c.onsetMs));
    scored.push({
      id: `h-${e.component}-${kind}`,
      component: e.component,
      kind,
      score: round(score),
      confidence: 0,
      onsetMs,
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

/**
 * When the incident began: the median onset of the clear symptoms (alerted or not). A median, so one noisy onset
 * (a few sampled spans) does not move it, and weak blips (a WARN burst, a 404 pattern) do not date an incident.
 */
export function symptomOnset(evidence: Map<string, ComponentEvidence>, symptoms: Set<string>, alerted: string[]): number {
  const onsets = (names: Iterable<string>, floor: number) =>
    [...names].map((n) => evidence.get(n)).filter((e) => e && e.anomaly >= floor && Number.isFinite(e.onsetMs)).map((e) => e!.onsetMs);
  const named = new Set([...symptoms, ...alerted]);
  const tiers = [onsets(named, RANKING_PARAMS.strongSymptom), onsets(named, RANKING_PARAMS.symptomThreshold)];
  const chosen = tiers.find((t) => t.length > 0);
  if (!chosen) return Number.POSITIVE_INFINITY;
  const sorted = chosen.sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * A cause starts shortly before its symptoms. Starting after them is suspicious; starting long before them (an
 * hour-old blip) makes a link unlikely, though slow faults such as leaks legitimately lead by many minutes.
 */
export function timingFactor(onsetMs: number, incidentOnsetMs: number): number {
  if (!Number.isFinite(incidentOnsetMs) || !Number.isFinite(onsetMs)) return 1;
  const lead = incidentOnsetMs - onsetMs;
  if (lead < -RANKING_PARAMS.onsetToleranceMs) return 0.6;
  const excess = lead - RANKING_PARAMS.maxLeadMs;
  return excess <= 0 ? 1 : 0.4 + 0.6 * Math.exp(-excess / RANKING_PARAMS.maxLeadMs);
}

/** Confidence: how clearly a hypothesis beats the rest, scaled by its own strength. */
export function withConfidence(ranked: Hypothesis[]): Hypothesis[] {
  const total = ranked.slice(0, 5).reduce((s, h) => s + h.score, 0);
  return ranked.map((h) => ({ ...h, confidence: total > 0 ? round((h.score / total) * Math.min(1, h.score * 2)) : 0 }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
