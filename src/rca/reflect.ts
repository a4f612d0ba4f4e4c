import type { Finding, Hypothesis, Reflection, ReflectionCheck } from '../model/evidence.js';
import type { DependencyGraph } from './graph.js';
import { RANKING_PARAMS, blastRadius, gatherEvidence, symptomOnset } from './rank.js';

/**
 * Reflection: before anything is proposed, the top hypothesis is checked against the evidence the way a sceptical
 * SRE would. Does a fault there explain what was alerted on? Did it start before (or with) the symptoms? Is there a
 * dependency that is sick and would explain it instead? Does some observation support the fault kind? A hypothesis
 * failing a hard check is demoted below the next one, which is examined in turn.
 */
export interface ReflectInput {
  ranked: Hypothesis[];
  findings: Finding[];
  graph: DependencyGraph;
  alerted: string[];
  /** how many hypotheses may be examined before giving up with an uncertain verdict */
  maxExamined?: number;
}

export interface ReflectOutput {
  ranked: Hypothesis[];
  reflection: Reflection;
}

/** a replacement must score at least this share of the demoted top hypothesis */
export const MIN_REPLACEMENT_SHARE = 0.5;

const HARD_CHECKS = new Set<ReflectionCheck['name']>(['explains_symptoms', 'precedes_symptoms', 'no_counter_evidence']);

export function checkHypothesis(
  h: Hypothesis,
  input: Omit<ReflectInput, 'ranked'>,
  evidence = gatherEvidence(input.findings),
): ReflectionCheck[] {
  const radius = blastRadius(h.component, input.graph);
  const alerted = input.alerted.filter((a) => a !== 'business' && input.graph.kindOf(a) !== 'unknown');
  const unexplained = alerted.filter((a) => !radius.has(a));
  const checks: ReflectionCheck[] = [
    {
      name: 'explains_symptoms',
      passed: unexplained.length === 0,
      detail:
        unexplained.length === 0
          ? alerted.length > 0
            ? `${alerted.join(', ')} call${alerted.length === 1 ? 's' : ''} into ${h.component}: a fault there reaches the alert`
            : input.alerted.includes('business')
              ? `the alert is on business KPIs; ${h.explains.filter((c) => c !== h.component).length} affected components on the way to customers depend on ${h.component}`
              : `no alerted component to explain; it accounts for ${h.explains.length} anomalous components`
          : `${unexplained.join(', ')} do${unexplained.length === 1 ? 'es' : ''} not depend on ${h.component}, so it cannot explain that alert`,
    },
  ];

  const explained = new Set(h.explains.filter((c) => c !== h.component));
  const incidentOnset = symptomOnset(evidence, explained, input.alerted.filter((a) => explained.has(a)));
  const precedes = !Number.isFinite(incidentOnset) || h.onsetMs <= incidentOnset + RANKING_PARAMS.onsetToleranceMs;
  checks.push({
    name: 'precedes_symptoms',
    passed: precedes,
    detail: !Number.isFinite(incidentOnset)
      ? 'no other symptom to compare with'
      : h.onsetMs <= incidentOnset
        ? `${h.component} onset ${clock(h.onsetMs)}, before the symptoms it explains (${clock(incidentOnset)})`
        : `${h.component} onset ${clock(h.onsetMs)}, the symptoms it explains ${clock(incidentOnset)}: ${precedes ? 'the same time within the telemetry\'s resolution' : 'too late to be their cause'}`,
  });

  // Counter-evidence: a dependency that is clearly sick and was sick first would explain this component's state.
  const culprits = [...input.graph.downstreamOf(h.component), ...input.graph.shadowedBy(h.component)]
    .map((d) => evidence.get(d))
    .filter((d) => d !== undefined)
    .filter((d) => d.anomaly >= RANKING_PARAMS.symptomThreshold && d.onsetMs < h.onsetMs - 0)
    .filter((d) => d.anomaly >= (evidence.get(h.component)?.anomaly ?? 0) * 0.8);
  checks.push({
    name: 'no_counter_evidence',
    passed: culprits.length === 0,
    detail:
      culprits.length === 0
        ? `no dependency of ${h.component} went bad before it`
        : `${culprits.map((c) => `${c.component} (onset ${clock(c.onsetMs)})`).join(', ')} went bad first and would explain it`,
  });

  // from the gathered evidence, so a remediation and what it did (its rollout's restart) never support a fault kind
  const own = evidence.get(h.component);
  const supporting = [...(own?.findings ?? []), ...(own?.changes ?? [])].filter((f) => f.faultHints.includes(h.kind));
  checks.push({
    name: 'kind_supported',
    passed: supporting.length > 0,
    detail:
      supporting.length > 0
        ? `${supporting.length} observation(s) typical of ${h.kind}, e.g. ${supporting[0]!.summary}`
        : `nothing specific to ${h.kind} was observed on ${h.component}`,
  });
  return checks;
}

export function reflect(input: ReflectInput): ReflectOutput {
  const maxExamined = Math.min(input.maxExamined ?? 3, input.ranked.length);
  const notes: string[] = [];
  if (input.ranked.length === 0) {
    return { ranked: [], reflection: { verdict: 'uncertain', examined: '', checks: [], notes: ['no hypothesis to examine'] } };
  }
  const examined = input.ranked[0]!.id;
  const evidence = gatherEvidence(input.findings); // once for every hypothesis examined
  const failed: Hypothesis[] = [];
  const problems: string[] = [];
  const topScore = input.ranked[0]!.score;
  for (let i = 0; i < maxExamined; i++) {
    const candidate = input.ranked[i]!;
    // A much weaker alternative is no reason to overturn the ranking: the verdict becomes uncertain instead.
    if (i > 0 && candidate.score < MIN_REPLACEMENT_SHARE * topScore) break;
    const checks = checkHypothesis(candidate, input, evidence);
    const failedHard = checks.filter((c) => HARD_CHECKS.has(c.name) && !c.passed);
    // A replacement must be positively supported too, not merely unrefuted.
    const failedAny = checks.filter((c) => !c.passed);
    const disqualifying = i === 0 ? failedHard : failedAny;
    if (disqualifying.length > 0) {
      problems.push(`${candidate.component} (${candidate.kind}): ${disqualifying.map((c) => c.detail).join('; ')}`);
      failed.push({ ...candidate, confidence: round(candidate.confidence / 2) });
      continue;
    }
    // The first survivor leads; the demoted ones follow it, then the rest in their original order.
    const ranked = [candidate, ...failed, ...input.ranked.slice(i + 1)];
    const notes = problems.map((p) => `demoted ${p}`);
    if (failed.length > 0) notes.push(`${candidate.component} (${candidate.kind}) passes every check and now leads`);
    const verdict = failed.length > 0 ? 'demoted' : checks.every((c) => c.passed) ? 'confirmed' : 'uncertain';
    return { ranked, reflection: { verdict, examined, checks, notes } };
  }
  return {
    ranked: input.ranked,
    reflection: {
      verdict: 'uncertain',
      examined,
      checks: checkHypothesis(input.ranked[0]!, input, evidence),
      notes: [...problems.map((p) => `doubt on ${p}`), 'no comparably supported hypothesis passes every check; the ranking stands but is uncertain'],
    },
  };
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const round = (x: number) => Math.round(x * 1000) / 1000;
