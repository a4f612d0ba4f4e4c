import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Expert, Finding, Hypothesis, Reflection } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import type { Approval, Execution, RemediationPlan, Verification } from '../model/remediation.js';
import { ReportSchema, type Chart, type Report } from '../model/report.js';
import { redact } from '../redaction/redact.js';
import { codeSpan, escapeCell, escapeMarkdown, safeUrl, truncate } from './escape.js';
import { chartHref, referenceLines, type KnowledgeRef } from './references.js';
import {
  actionLabel,
  preCheckLabel,
  anomalyLabel,
  faultLabel,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
} from './labels.js';

export { chartHref, type KnowledgeRef } from './references.js';

export interface DataSourcesNote {
  signals: Record<'metrics' | 'logs' | 'traces' | 'cmdb', string[]>;
  failures: { source: string; error: string }[];
}

/** The signals no configured source gives: the diagnosis was made without them. */
export function missingSignals(note: DataSourcesNote): string[] {
  return Object.entries(note.signals)
    .filter(([, sources]) => sources.length === 0)
    .map(([signal]) => signal);
}

export interface ReportInput {
  incident: Incident;
  findings: Finding[];
  /** ranked, most likely first */
  hypotheses: Hypothesis[];
  reflection: Reflection;
  plan?: RemediationPlan;
  approval?: Approval;
  execution?: Execution;
  verification?: Verification;
  charts: Chart[];
  /** who wrote the text: "deterministic templates" or an LLM provider/model */
  author: string;
  knowledge?: KnowledgeRef[];
  /** an LLM's plain-words explanation of the deterministic diagnosis, with who wrote it */
  explanation?: { text: string; author: string };
  /** folder the report lives in; chart paths are linked relative to it (writeReport sets it) */
  baseDir?: string;
  /** where the telemetry came from, per signal (an empty list: the signal is missing), and sources that failed */
  dataSources?: DataSourcesNote;
  /** shown in the header when given; the function itself reads no clock */
  generatedAt?: number;
}

const EXPERT_ORDER: Expert[] = ['kpi', 'metrics', 'logs', 'traces', 'cmdb'];
const EXPERT_TITLES: Record<Expert, string> = {
  kpi: 'Business KPIs',
  metrics: 'Metrics',
  logs: 'Logs',
  traces: 'Traces',
  cmdb: 'CMDB and changes',
};
const MAX_FINDINGS_PER_EXPERT = 8;
const MAX_EVIDENCE_PER_FINDING = 4;
const MAX_HYPOTHESES = 10;

/** Renders the incident report as Markdown. Pure: same input, same text. */
export function renderReportMarkdown(input: ReportInput): string {
  const { incident } = input;
  const out: string[] = [];
  out.push(`# Incident report: ${escapeMarkdown(incident.title)}`, '');
  out.push(...headerLines(input), '');
  out.push('## Summary', '', ...summaryLines(input), '');
  out.push('## Timeline', '', ...timelineLines(input), '');
  out.push('## Root cause', '', ...rootCauseLines(input), '');
  if (input.explanation) {
    out.push('## Explanation', '', escapeMarkdown(redact(input.explanation.text)), '', `_Written by ${escapeMarkdown(input.explanation.author)} from the deterministic diagnosis above._`, '');
  }
  out.push('## Ranked hypotheses', '', ...hypothesisTable(input.hypotheses), '');
  out.push('## Evidence by expert', '', ...evidenceLines(input.findings));
  out.push('## Reflection', '', ...reflectionLines(input.reflection), '');
  out.push('## Remediation plan', '', ...planLines(input.plan, input.approval), '');
  out.push('## Execution', '', ...executionLines(input.execution, input.plan), '');
  out.push('## Verification', '', ...verificationLines(input.verification), '');
  if (input.charts.length > 0) out.push('## Charts', '', ...chartLines(input.charts, input.baseDir));
  if (input.dataSources) out.push('## Data sources', '', ...dataSourceLines(input.dataSources), '');
  out.push('## References', '', ...referenceLines(input.knowledge ?? [], input.plan?.runbook, input.baseDir), '');
  out.push('---', '', `_${escapeMarkdown(footer(input.author))}_`, '');
  return out.join('\n');
}

/** Writes `<dir>/report.md` and returns the Report object. */
export async function writeReport(dir: string, input: Omit<ReportInput, 'baseDir'>, now: () => number = Date.now): Promise<Report> {
  const createdAt = input.generatedAt ?? now();
  const markdown = renderReportMarkdown({ ...input, baseDir: dir, generatedAt: createdAt });
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'report.md');
  await writeFile(file, markdown, 'utf8');
  return ReportSchema.parse({
    incidentId: input.incident.id,
    title: `Incident report: ${redact(input.incident.title)}`,
    markdown,
    path: file,
    charts: input.charts,
    author: input.author,
    createdAt,
  });
}

/** Footer sentence naming the author of the text. */
export function footer(author: string): string {
  if (/determinist|template/i.test(author) || author.trim() === '') {
    return 'Written by the deterministic planner and templates; no LLM was used.';
  }
  return `Written with ${author.trim()} from the deterministic pipeline's findings; scores, times and numbers come from the pipeline, not the model.`;
}

function headerLines(input: ReportInput): string[] {
  const { incident } = input;
  const lines = [
    `- **Incident:** ${codeSpan(incident.id)}`,
    `- **Severity:** ${incident.severity}`,
    `- **Status:** ${incident.status}`,
    `- **Services affected:** ${incident.services.length ? incident.services.map((s) => codeSpan(s)).join(', ') : '—'}`,
    `- **Window:** ${formatTime(incident.window.fromMs)} – ${formatTime(incident.window.toMs)} UTC`,
    `- **Opened:** ${formatTime(incident.createdAt)} UTC`,
  ];
  if (input.generatedAt !== undefined) lines.push(`- **Report generated:** ${formatTime(input.generatedAt)} UTC`);
  return lines;
}

function summaryLines(input: ReportInput): string[] {
  const { incident, hypotheses, reflection, verification, execution } = input;
  const signal = incident.signal;
  const trigger =
    signal.kind === 'alert'
      ? `Triggered by the ${signal.alert.severity} alert ${codeSpan(signal.alert.name)} (${escapeMarkdown(signal.alert.source)}): ${escapeMarkdown(truncate(signal.alert.summary, 300))}.`
      : `Triggered by a question from ${escapeMarkdown(signal.user)}: “${escapeMarkdown(truncate(signal.text, 300))}”.`;
  const top = hypotheses[0];
  const cause = top
    ? `Most likely root cause: **${faultLabel(top.kind)}** on ${codeSpan(top.component)} (confidence ${formatPercent(top.confidence)}; reflection verdict: ${reflection.verdict}).`
    : 'No root cause could be identified from the available telemetry.';
  const outcome = verification
    ? verification.recovered
      ? 'The fix was applied and the service metrics recovered.'
      : 'The fix was applied but the metrics did not recover.'
    : execution
      ? `The fix ran (${execution.status}); recovery has not been verified yet.`
      : input.plan
        ? 'A remediation plan was proposed; it has not been executed.'
        : 'No remediation was proposed.';
  return [`${trigger} ${cause} ${outcome}`];
}

interface TimelineEvent {
  ts: number;
  what: string;
}

function timelineLines(input: ReportInput): string[] {
  const events: TimelineEvent[] = [];
  const { incident } = input;
  const signal = incident.signal;
  if (signal.kind === 'alert') {
    events.push({ ts: signal.alert.startsAt, what: `🚨 Alert ${codeSpan(signal.alert.name, true)} fired (${signal.alert.severity})` });
    events.push({ ts: signal.receivedAt, what: 'Alert received by SRE-Copilot' });
  } else {
    events.push({ ts: signal.receivedAt, what: `❓ Question from ${escapeCell(signal.user, 60)}: ${escapeCell(signal.text, 120)}` });
  }
  for (const f of input.findings) {
    if (f.anomaly === 'change') {
      events.push({ ts: f.onsetMs, what: `🔧 Change on ${codeSpan(f.component, true)}: ${escapeCell(f.summary, 160)}` });
    }
  }
  // Earliest onset per component among the strongest symptoms.
  const firstOnset = new Map<string, Finding>();
  for (const f of [...input.findings].filter((f) => f.anomaly !== 'change').sort((a, b) => b.score - a.score).slice(0, 12)) {
    const cur = firstOnset.get(f.component);
    if (!cur || f.onsetMs < cur.onsetMs) firstOnset.set(f.component, f);
  }
  for (const f of [...firstOnset.values()].slice(0, 6)) {
    events.push({
      ts: f.onsetMs,
      what: `📈 Onset: ${anomalyLabel(f.anomaly)} on ${codeSpan(f.component, true)} (${codeSpan(f.signal, true)}, ${f.expert})`,
    });
  }
  const top = input.hypotheses[0];
  if (top) events.push({ ts: top.onsetMs, what: `🎯 Estimated fault onset: ${faultLabel(top.kind)} on ${codeSpan(top.component, true)}` });
  if (input.plan) events.push({ ts: input.plan.createdAt, what: `📋 Remediation plan proposed: ${escapeCell(input.plan.title, 120)}` });
  if (input.approval) {
    events.push({ ts: input.approval.at, what: `${input.approval.decision === 'approved' ? '✅' : '⛔'} Plan ${input.approval.decision} by ${escapeCell(input.approval.actor, 60)}` });
  }
  if (input.execution) {
    events.push({ ts: input.execution.startedAt, what: `🛠️ Fix started by ${escapeCell(input.execution.actor, 60)}` });
    events.push({ ts: input.execution.finishedAt, what: `🛠️ Fix finished: ${input.execution.status}` });
  }
  if (input.verification) {
    events.push({
      ts: input.verification.checkedAt,
      what: input.verification.recovered ? '✅ Verification: metrics recovered' : '❌ Verification: metrics did not recover',
    });
  }
  const sorted = events.filter((e) => Number.isFinite(e.ts)).sort((a, b) => a.ts - b.ts);
  return ['| Time (UTC) | Event |', '|---|---|', ...sorted.map((e) => `| ${formatTime(e.ts)} | ${e.what} |`)];
}

function rootCauseLines(input: ReportInput): string[] {
  const { hypotheses, reflection } = input;
  const top = hypotheses[0];
  if (!top) return ['No hypothesis could be formed: the experts found no anomaly that explains the symptoms.'];
  const lead =
    reflection.verdict === 'confirmed'
      ? 'Root cause (confirmed by reflection)'
      : reflection.verdict === 'demoted'
        ? 'Leading hypothesis after reflection demoted the first candidate'
        : 'Leading hypothesis (uncertain)';
  const lines = [
    `**${lead}:** ${faultLabel(top.kind)} on ${codeSpan(top.component)} — confidence ${formatPercent(top.confidence)}, score ${top.score.toFixed(2)}, onset ${formatTime(top.onsetMs)} UTC.`,
    '',
  ];
  if (top.explains.length) lines.push(`It accounts for the symptoms on ${top.explains.map((c) => codeSpan(c)).join(', ')}.`, '');
  if (reflection.verdict === 'demoted' && reflection.examined !== top.id) {
    const examined = hypotheses.find((h) => h.id === reflection.examined);
    if (examined) lines.push(`Reflection examined and demoted ${faultLabel(examined.kind)} on ${codeSpan(examined.component)}.`, '');
  }
  if (top.evidence.length) {
    lines.push('Key evidence:', '');
    for (const e of top.evidence.slice(0, 5)) lines.push(`- ${escapeMarkdown(truncate(e, 300))}`);
  }
  return lines;
}

function hypothesisTable(hypotheses: Hypothesis[]): string[] {
  if (hypotheses.length === 0) return ['No hypotheses.'];
  const rows = hypotheses.slice(0, MAX_HYPOTHESES).map((h, i) => {
    const explains = h.explains.length ? h.explains.map((c) => escapeCell(c, 40)).join(', ') : '—';
    return `| ${i + 1} | ${codeSpan(h.component, true)} | ${faultLabel(h.kind)} | ${h.score.toFixed(2)} | ${formatPercent(h.confidence)} | ${formatTime(h.onsetMs).slice(11)} | ${explains} |`;
  });
  const more = hypotheses.length > MAX_HYPOTHESES ? ['', `_${hypotheses.length - MAX_HYPOTHESES} lower-ranked hypotheses omitted._`] : [];
  return ['| Rank | Component | Fault kind | Score | Confidence | Onset (UTC) | Explains |', '|---:|---|---|---:|---:|---|---|', ...rows, ...more];
}

function evidenceLines(findings: Finding[]): string[] {
  if (findings.length === 0) return ['No expert reported an anomaly.', ''];
  const out: string[] = [];
  const experts = [...EXPERT_ORDER, ...new Set(findings.map((f) => f.expert).filter((e) => !EXPERT_ORDER.includes(e)))];
  for (const expert of experts) {
    const mine = findings.filter((f) => f.expert === expert).sort((a, b) => b.score - a.score);
    if (mine.length === 0) continue;
    out.push(`### ${EXPERT_TITLES[expert] ?? expert} (${mine.length} finding${mine.length === 1 ? '' : 's'})`, '');
    for (const f of mine.slice(0, MAX_FINDINGS_PER_EXPERT)) {
      out.push(
        `- **${f.score.toFixed(2)}** ${codeSpan(f.component)} · ${anomalyLabel(f.anomaly)} on ${codeSpan(f.signal)} at ${formatTime(f.onsetMs).slice(11)}: ${escapeMarkdown(truncate(f.summary, 300))}`,
      );
      for (const e of f.evidence.slice(0, MAX_EVIDENCE_PER_FINDING)) out.push(`  - ${escapeMarkdown(truncate(e, 300))}`);
      if (f.evidence.length > MAX_EVIDENCE_PER_FINDING) out.push(`  - _… ${f.evidence.length - MAX_EVIDENCE_PER_FINDING} more_`);
    }
    if (mine.length > MAX_FINDINGS_PER_EXPERT) out.push(`- _… ${mine.length - MAX_FINDINGS_PER_EXPERT} weaker findings omitted_`);
    out.push('');
  }
  return out;
}

const CHECK_TITLES: Record<string, string> = {
  explains_symptoms: 'Explains the symptoms',
  precedes_symptoms: 'Precedes the symptoms',
  no_counter_evidence: 'No counter-evidence',
  kind_supported: 'Fault kind supported by evidence',
};

function reflectionLines(reflection: Reflection): string[] {
  const out = [`Verdict: **${reflection.verdict}** (examined hypothesis ${codeSpan(reflection.examined)}).`, ''];
  if (reflection.checks.length) {
    out.push('| Check | Result | Detail |', '|---|---|---|');
    for (const c of reflection.checks) {
      out.push(`| ${CHECK_TITLES[c.name] ?? c.name} | ${c.passed ? '✅ pass' : '❌ fail'} | ${escapeCell(c.detail, 300)} |`);
    }
  }
  if (reflection.notes.length) {
    out.push('', 'Notes:', '');
    for (const n of reflection.notes) out.push(`- ${escapeMarkdown(truncate(n, 300))}`);
  }
  return out;
}

function planLines(plan: RemediationPlan | undefined, approval: Approval | undefined): string[] {
  if (!plan) return ['No remediation plan was proposed.'];
  const out = [
    `**${escapeMarkdown(plan.title)}** (${codeSpan(plan.id)})`,
    '',
    `- **Risk:** ${plan.risk}`,
    `- **Approvers:** ${plan.approvers.length ? plan.approvers.map((a) => escapeMarkdown(a)).join(', ') : '—'}`,
    `- **Plan hash:** ${codeSpan(plan.hash.slice(0, 12))}`,
  ];
  if (approval) out.push(`- **Decision:** ${approval.decision} by ${escapeMarkdown(approval.actor)} at ${formatTime(approval.at)} UTC`);
  out.push('', 'Steps:', '');
  plan.steps.forEach((s, i) => {
    const params = Object.entries(s.params).filter(([k]) => k !== 'script');
    const paramText = params.length ? ` (${params.map(([k, v]) => codeSpan(`${k}=${String(v)}`)).join(', ')})` : '';
    out.push(`${i + 1}. **${actionLabel(s.action)}** on ${codeSpan(s.target)}${paramText}: ${escapeMarkdown(s.description)} (risk ${s.risk})`);
    if (s.preChecks.length) out.push(`   - Before it runs: ${s.preChecks.map((c) => escapeMarkdown(preCheckLabel(c))).join('; ')}`);
    if (s.verification.length) out.push(`   - Verify: ${s.verification.map((v) => `${codeSpan(`${v.entity} ${v.metric}`)} within ${v.recoverWithinMinutes} min`).join(', ')}`);
    if (s.rollback) out.push(`   - Rollback: ${escapeMarkdown(s.rollback)}`);
    if (s.stopIfRecovered) out.push('   - Then: if those metrics recovered, the steps after it are not run');
    if (typeof s.params.script === 'string') {
      // shown in full, as it was approved; a fence longer than any backtick run inside keeps it literal
      const fence = '`'.repeat(Math.max(3, ...[...s.params.script.matchAll(/`+/g)].map((m) => m[0].length + 1)));
      out.push('', `   ${fence}bash`, ...redact(s.params.script).trimEnd().split('\n').map((l) => `   ${l}`), `   ${fence}`);
    }
  });
  if (plan.verification.length) {
    out.push('', 'Verification targets:', '');
    for (const v of plan.verification) {
      out.push(`- ${codeSpan(`${v.entity} ${v.metric}`)} back to baseline within ${v.recoverWithinMinutes} min`);
    }
  }
  return out;
}

function executionLines(execution: Execution | undefined, plan: RemediationPlan | undefined): string[] {
  if (!execution) return ['Not executed.'];
  const steps = new Map(plan?.steps.map((s) => [s.id, s]) ?? []);
  const out = [
    `Status: **${execution.status}** — run by ${escapeMarkdown(execution.actor)} from ${formatTime(execution.startedAt)} UTC (${formatDuration(execution.finishedAt - execution.startedAt)}).`,
    '',
    '| Step | Action | Result | Output |',
    '|---|---|---|---|',
  ];
  for (const r of execution.steps) {
    const step = steps.get(r.stepId);
    const action = step ? `${actionLabel(step.action)} ${codeSpan(step.target, true)}` : '—';
    const icon = r.status === 'succeeded' ? '✅' : r.status === 'failed' ? '❌' : '⏭️';
    out.push(`| ${codeSpan(r.stepId, true)} | ${action} | ${icon} ${r.status} | ${escapeCell(r.output, 300)} |`);
  }
  return out;
}

function verificationLines(verification: Verification | undefined): string[] {
  if (!verification) return ['Not verified.'];
  const out = [
    `${verification.recovered ? '✅ **Recovered**' : '❌ **Not recovered**'} (checked ${formatTime(verification.checkedAt)} UTC).`,
  ];
  if (verification.checks.length) {
    out.push('', '| Entity | Metric | Baseline | During | After | Recovered |', '|---|---|---:|---:|---:|---|');
    for (const c of verification.checks) {
      out.push(
        `| ${codeSpan(c.entity, true)} | ${codeSpan(c.metric, true)} | ${formatNumber(c.baseline)} | ${formatNumber(c.during)} | ${formatNumber(c.after)} | ${c.recovered ? '✅ yes' : '❌ no'} |`,
      );
    }
  }
  if (verification.steps?.length) {
    out.push('', 'By step:', '');
    for (const s of verification.steps) {
      out.push(`- ${codeSpan(s.stepId)}: ${s.recovered ? 'recovered' : 'not recovered'} (${s.checks.map((c) => `${codeSpan(`${c.entity} ${c.metric}`)} ${c.recovered ? '✅' : '❌'}`).join(', ')})`);
    }
  }
  return out;
}

function chartLines(charts: Chart[], baseDir: string | undefined): string[] {
  const out: string[] = [];
  for (const c of charts) {
    const link = safeUrl(chartHref(c.path, baseDir));
    if (!link) continue;
    out.push(`![${escapeMarkdown(c.title)}](${link})`, '', `_${escapeMarkdown(`${c.entity} ${c.metric}`)}_`, '');
  }
  return out;
}

function dataSourceLines(note: DataSourcesNote): string[] {
  const lines = Object.entries(note.signals).map(([signal, sources]) =>
    sources.length ? `- **${signal}**: ${sources.map(escapeMarkdown).join(', ')}` : `- **${signal}**: missing — no configured source gives ${signal}; the experts that read it had nothing to say`,
  );
  for (const f of note.failures) lines.push(`- ⚠️ ${escapeMarkdown(f.source)} failed during the investigation: ${escapeMarkdown(redact(f.error))}`);
  return lines;
}
