import type { Expert, Finding, Hypothesis, Reflection } from '../model/evidence.js';
import type { Incident, Severity } from '../model/incident.js';
import type { Execution, RemediationPlan, Risk, Verification } from '../model/remediation.js';
import type { RollbackOffer } from '../remediation/rollback.js';
import type { Report } from '../model/report.js';
import { actionLabel, preCheckLabel, anomalyLabel, faultLabel, formatClock, formatDuration, formatNumber, formatPercent, formatTime } from '../report/labels.js';
import type { ChatAction, ChatMessage, MessageBlock } from './channel.js';
import { bold, chatCode, clip, escapeChat, scoreBar } from './format.js';
import { redact } from '../redaction/redact.js';

/**
 * Pure builders from domain objects to chat messages. Untrusted text (alert text, evidence, log lines, outputs) is
 * redacted and escaped; `text` is a plain fallback that is redacted too.
 */

export type ExpertStatus = 'pending' | 'running' | 'done' | 'failed';
export interface ExpertProgress {
  expert: string;
  status: ExpertStatus;
  findings?: number;
}

const SEVERITY_ICON: Record<Severity, string> = { critical: '🔴', high: '🟠', warning: '🟡', info: '🔵' };
const STATUS_ICON: Record<ExpertStatus, string> = { pending: '⏸️', running: '⏳', done: '✅', failed: '❌' };
const RISK_ICON: Record<Risk, string> = { low: '🟢', medium: '🟠', high: '🔴' };
const TOP_FINDINGS = 5;
const TOP_HYPOTHESES = 5;
const E = escapeChat;

function message(text: string, blocks: MessageBlock[], extra: Omit<ChatMessage, 'text' | 'blocks'> = {}): ChatMessage {
  return { text: redact(text), blocks, ...extra };
}

export function alertReceivedMessage(incident: Incident): ChatMessage {
  const sig = incident.signal;
  const head = `🚨 ${incident.severity.toUpperCase()}: ${incident.title}`;
  const blocks: MessageBlock[] = [{ type: 'header', text: redact(head) }];
  if (sig.kind === 'alert') {
    blocks.push({ type: 'section', text: `${bold(E(sig.alert.name))} — ${E(clip(sig.alert.summary, 500))}` });
  } else {
    blocks.push({ type: 'section', text: `${bold(E(sig.user))} asked: “${E(clip(sig.text, 500))}”` });
  }
  blocks.push(
    {
      type: 'fields',
      fields: [
        { label: 'Severity', value: `${SEVERITY_ICON[incident.severity]} ${incident.severity}` },
        { label: 'Services', value: incident.services.length ? incident.services.map(chatCode).join(', ') : '—' },
        { label: 'Window', value: `${formatTime(incident.window.fromMs)} – ${formatClock(incident.window.toMs)} UTC` },
        { label: 'Status', value: incident.status },
      ],
    },
    { type: 'context', text: `Incident ${chatCode(incident.id)} · investigating with the logs, metrics, traces, KPI and CMDB experts` },
  );
  return message(`${head} (${incident.id})`, blocks);
}

export function progressMessage(states: ExpertProgress[]): ChatMessage {
  const done = states.filter((s) => s.status === 'done' || s.status === 'failed').length;
  const head = `Diagnosis: ${done}/${states.length} experts finished`;
  const line = (s: ExpertProgress) => {
    const count = s.status === 'done' && s.findings !== undefined ? ` (${s.findings} finding${s.findings === 1 ? '' : 's'})` : '';
    return `${STATUS_ICON[s.status]} ${E(s.expert)} — ${s.status}${count}`;
  };
  const lines = states.map(line);
  return message(`${head}\n${states.map((s) => `${s.expert}: ${s.status}`).join(', ')}`, [
    { type: 'section', text: `${bold(head)}\n${lines.join('\n')}` },
  ]);
}

export function findingsMessage(expert: Expert | string, findings: Finding[]): ChatMessage {
  const sorted = [...findings].sort((a, b) => b.score - a.score);
  const head = `🔎 ${expert} expert: ${findings.length === 0 ? 'no anomalies' : `${findings.length} finding${findings.length === 1 ? '' : 's'}`}`;
  const blocks: MessageBlock[] = [{ type: 'section', text: bold(E(head)) }];
  for (const f of sorted.slice(0, TOP_FINDINGS)) {
    blocks.push({
      type: 'section',
      text: `${scoreBar(f.score)} ${f.score.toFixed(2)} ${chatCode(f.component)} · ${anomalyLabel(f.anomaly)} on ${chatCode(f.signal)} at ${formatClock(f.onsetMs)} — ${E(clip(f.summary, 300))}`,
    });
    if (f.evidence.length) blocks.push({ type: 'code', text: f.evidence.slice(0, 3).map((e) => clip(redact(e), 240)).join('\n') });
  }
  if (sorted.length > TOP_FINDINGS) blocks.push({ type: 'context', text: `… and ${sorted.length - TOP_FINDINGS} weaker findings` });
  const text = [head, ...sorted.slice(0, TOP_FINDINGS).map((f) => `${f.score.toFixed(2)} ${f.component} ${f.anomaly}: ${f.summary}`)].join('\n');
  return message(text, blocks);
}

export function rankingMessage(hypotheses: Hypothesis[], missing: string[] = []): ChatMessage {
  // a diagnosis made without logs or traces says so where people read it, not only in the report
  const gap = missing.length > 0 ? `Missing signals: ${missing.join(', ')} — no configured source gives them, so this ranking is made without them.` : '';
  if (hypotheses.length === 0) {
    return message(`No root-cause hypothesis: the experts found nothing that explains the symptoms.${gap ? `\n${gap}` : ''}`, [
      { type: 'section', text: bold('No root-cause hypothesis') + ': the experts found nothing that explains the symptoms.' },
      ...(gap ? [{ type: 'context' as const, text: E(gap) }] : []),
    ]);
  }
  const top = hypotheses.slice(0, TOP_HYPOTHESES);
  const lines = top.map((h, i) => {
    const evidence = h.evidence[0] ? `\n    ${E(clip(h.evidence[0], 200))}` : '';
    return `${i + 1}. ${bold(faultLabel(h.kind))} on ${chatCode(h.component)} ${scoreBar(h.confidence)} confidence ${formatPercent(h.confidence)} · score ${h.score.toFixed(2)}${evidence}`;
  });
  const blocks: MessageBlock[] = [
    { type: 'header', text: '🎯 Ranked root-cause hypotheses' },
    { type: 'section', text: lines.join('\n') },
  ];
  if (hypotheses.length > TOP_HYPOTHESES) blocks.push({ type: 'context', text: `${hypotheses.length - TOP_HYPOTHESES} more not shown` });
  if (gap) blocks.push({ type: 'context', text: E(gap) });
  const text = `Ranked hypotheses:\n${top.map((h, i) => `${i + 1}. ${faultLabel(h.kind)} on ${h.component} (${formatPercent(h.confidence)})`).join('\n')}${gap ? `\n${gap}` : ''}`;
  return message(text, blocks);
}

const VERDICT: Record<Reflection['verdict'], string> = {
  confirmed: '✅ confirmed',
  demoted: '⬇️ demoted',
  uncertain: '❔ uncertain',
};

export function reflectionMessage(reflection: Reflection): ChatMessage {
  const checks = reflection.checks.map((c) => `${c.passed ? '✅' : '❌'} ${c.name.replace(/_/g, ' ')} — ${E(clip(c.detail, 200))}`);
  const blocks: MessageBlock[] = [
    { type: 'section', text: `🪞 ${bold('Reflection')}: ${VERDICT[reflection.verdict]} (examined ${chatCode(reflection.examined)})` },
  ];
  if (checks.length) blocks.push({ type: 'section', text: checks.join('\n') });
  if (reflection.notes.length) blocks.push({ type: 'context', text: reflection.notes.map((n) => E(clip(n, 200))).join('\n') });
  const text = `Reflection: ${reflection.verdict}; ${reflection.checks.map((c) => `${c.name} ${c.passed ? 'pass' : 'fail'}`).join(', ')}`;
  return message(text, blocks);
}

export function reportMessage(report: Report): ChatMessage {
  const blocks: MessageBlock[] = [
    { type: 'section', text: `📝 ${bold('Incident report ready')}: ${E(report.title)}` },
    {
      type: 'fields',
      fields: [
        { label: 'Incident', value: chatCode(report.incidentId) },
        { label: 'Charts', value: String(report.charts.length) },
        { label: 'Written by', value: E(report.author) },
      ],
    },
  ];
  const attachments = [
    { path: report.path, title: 'Incident report (Markdown)' },
    ...report.charts.map((c) => ({ path: c.path, title: redact(c.title) })),
  ];
  return message(`Incident report ready: ${report.title} → ${report.path}`, blocks, { attachments });
}

export function planMessage(plan: RemediationPlan): ChatMessage {
  const steps = plan.steps.map((s, i) => {
    // a script is shown in full in its own message; here only its name
    const params = Object.entries(s.params).map(([k, v]) => (k === 'script' ? 'script=(below)' : `${k}=${String(v)}`));
    const lines = [`${i + 1}. ${RISK_ICON[s.risk]} ${bold(actionLabel(s.action))} on ${chatCode(s.target)}${params.length ? ` ${chatCode(params.join(' '))}` : ''} — ${E(s.description)}`];
    if (s.preChecks.length) lines.push(`    ☑︎ before: ${s.preChecks.map((c) => E(preCheckLabel(c))).join('; ')}`);
    if (s.verification.length) lines.push(`    ⏱ verify: ${s.verification.map((v) => `${chatCode(`${v.entity} ${v.metric}`)} within ${v.recoverWithinMinutes} min`).join(', ')}`);
    if (s.rollback) lines.push(`    ↩︎ rollback: ${E(s.rollback)}`);
    if (s.stopIfRecovered) lines.push(`    ⏸ then: if those metrics recovered, the steps after it are not run`);
    return lines.join('\n');
  });
  const blocks: MessageBlock[] = [
    { type: 'header', text: `🛠️ Proposed fix: ${redact(plan.title)}` },
    { type: 'section', text: steps.join('\n') },
    {
      type: 'fields',
      fields: [
        { label: 'Risk', value: `${RISK_ICON[plan.risk]} ${plan.risk}` },
        { label: 'Approvers', value: plan.approvers.length ? plan.approvers.map(E).join(', ') : '—' },
        {
          label: 'Verify',
          value: plan.verification.length
            ? plan.verification.map((v) => `${chatCode(`${v.entity} ${v.metric}`)} within ${v.recoverWithinMinutes} min`).join(', ')
            : '—',
        },
        ...(plan.runbook ? [{ label: 'Runbook', value: E(plan.runbook) }] : []),
      ],
    },
    { type: 'context', text: `Plan ${chatCode(plan.id)} · hash ${chatCode(plan.hash.slice(0, 12))} · nothing runs until an approver approves this exact plan` },
  ];
  const actions: ChatAction[] = [
    { id: 'approve', label: 'Approve', style: 'primary', value: `approve:${plan.id}:${plan.hash}` },
    { id: 'reject', label: 'Reject', style: 'danger', value: `reject:${plan.id}:${plan.hash}` },
    { id: 'dryrun', label: 'Dry run', value: `dryrun:${plan.id}:${plan.hash}` },
  ];
  const text = `Proposed fix: ${plan.title} (risk ${plan.risk}). ${plan.steps.map((s, i) => `${i + 1}. ${actionLabel(s.action)} ${s.target}`).join('; ')}. Approve or reject.`;
  return message(text, blocks, { actions });
}

/** `plan`, when given, names each step's action and target. */
export function executionMessage(execution: Execution, plan?: RemediationPlan): ChatMessage {
  const steps = new Map(plan?.steps.map((s) => [s.id, s]) ?? []);
  const icon = execution.status === 'succeeded' ? '✅' : '❌';
  const head = `${icon} Fix ${execution.status} (run by ${execution.actor}, ${formatDuration(execution.finishedAt - execution.startedAt)})`;
  const blocks: MessageBlock[] = [{ type: 'section', text: bold(E(head)) }];
  for (const s of execution.steps) {
    const si = s.status === 'succeeded' ? '✅' : s.status === 'failed' ? '❌' : '⏭️';
    const step = steps.get(s.stepId);
    const what = step ? ` ${bold(actionLabel(step.action))} on ${chatCode(step.target)}` : '';
    blocks.push({ type: 'section', text: `${si} step ${chatCode(s.stepId)}${what} ${s.status}` });
    const failedChecks = (s.preChecks ?? []).filter((c) => !c.ok);
    if (s.preChecks?.length) {
      blocks.push({ type: 'context', text: failedChecks.length ? `pre-check failed: ${failedChecks.map((c) => E(c.detail)).join('; ')}` : `pre-checks passed: ${s.preChecks.map((c) => E(c.detail)).join('; ')}` });
    }
    if (s.output.trim()) blocks.push({ type: 'code', text: clip(redact(s.output.trim()), 1500) });
  }
  return message(`${head}\n${execution.steps.map((s) => `${s.stepId}: ${s.status}`).join('\n')}`, blocks);
}

export function verificationMessage(verification: Verification): ChatMessage {
  const head = verification.recovered ? '✅ Recovered: the metrics are back to baseline' : '❌ Not recovered: the metrics are still off baseline';
  const checks = verification.checks.map(
    (c) =>
      `${c.recovered ? '✅' : '❌'} ${chatCode(`${c.entity} ${c.metric}`)} baseline ${formatNumber(c.baseline)} → during ${formatNumber(c.during)} → now ${formatNumber(c.after)}`,
  );
  const blocks: MessageBlock[] = [{ type: 'section', text: bold(head) }];
  if (checks.length) blocks.push({ type: 'section', text: checks.join('\n') });
  const perStep = verification.steps ?? [];
  if (perStep.length > 0) {
    blocks.push({ type: 'context', text: perStep.map((s) => `${s.recovered ? '✅' : '❌'} ${chatCode(s.stepId)}: ${s.checks.filter((c) => c.recovered).length}/${s.checks.length} of its metrics recovered`).join(' · ') });
  }
  blocks.push({ type: 'context', text: `checked ${formatTime(verification.checkedAt)} UTC` });
  return message(`${head}\n${verification.checks.map((c) => `${c.entity} ${c.metric}: ${c.recovered ? 'ok' : 'not recovered'}`).join('\n')}`, blocks);
}

/** How the plan came about when it is not the runbook's registered actions: a generated script, or no plan at all. */
export function planNotesMessage(notes: string[]): ChatMessage {
  return message(`🧰 ${notes.join(' ')}`, [{ type: 'section', text: `🧰 ${notes.map((n) => E(clip(n, 500))).join('\n')}` }]);
}

/** After a failed step (or a fix that did not help): what happened, and a Roll back button for the steps that ran. */
export function rollbackOfferMessage(offer: RollbackOffer, plan: RemediationPlan): ChatMessage {
  const head = offer.failed
    ? `❌ Step ${offer.failed.step.id} (${offer.failed.step.description}) failed; the remaining steps were skipped.`
    : '❌ Every step ran, but the metrics did not recover: the fix did not help.';
  const blocks: MessageBlock[] = [{ type: 'section', text: bold(E(head)) }];
  if (offer.failed) blocks.push({ type: 'code', text: clip(redact(offer.failed.output.trim()), 800) });
  if (offer.undo.length === 0) {
    blocks.push({ type: 'section', text: 'No earlier step succeeded, so there is nothing to roll back.' });
    return message(`${head} No earlier step succeeded, so there is nothing to roll back.`, blocks);
  }
  const lines = offer.undo.map((s) => `• ${chatCode(s.id)} ${E(s.description)}: ${E(s.rollback ?? 'no rollback recorded')}`);
  blocks.push({ type: 'section', text: `Rollback offered for the steps that ${offer.failed ? 'succeeded' : 'ran'} (last first):\n${lines.join('\n')}` });
  blocks.push({ type: 'context', text: 'Only an approver of this plan can run the rollback.' });
  const text = `${head} Rollback offered (last first): ${offer.undo.map((s) => `${s.id}: ${s.rollback ?? 'no rollback recorded'}`).join('; ')}. An approver can run it with the Roll back button or \`rollback\`.`;
  return message(text, blocks, { actions: [{ id: 'rollback', label: 'Roll back', style: 'danger', value: `rollback:${plan.id}:${plan.hash}` }] });
}

export function errorMessage(text: string): ChatMessage {
  return message(`⚠️ ${text}`, [{ type: 'section', text: `⚠️ ${E(clip(text, 1000))}` }]);
}

/** An LLM's explanation of the diagnosis, labelled with who wrote it. */
export function explanationMessage(text: string, author: string): ChatMessage {
  return message(`Explanation (${author}): ${text}`, [
    { type: 'section', text: `💬 ${bold('Explanation')}\n${E(clip(text, 2500))}` },
    { type: 'context', text: `written by ${E(author)} from the deterministic diagnosis; the ranking above is unchanged` },
  ]);
}

/** how a runbook, a past incident and a postmortem are marked wherever the knowledge base is quoted */
export const CITATION_ICON = { runbook: '📘', incident: '🗂️', postmortem: '📰' } as const;

/** What the knowledge base cites for the diagnosis (why each matched), and what fixed a similar incident last time. */
export function knowledgeMessage(citations: { kind: keyof typeof CITATION_ICON; source: string; title: string; why: string; fixed?: string }[]): ChatMessage {
  const line = (c: (typeof citations)[number]) => `${CITATION_ICON[c.kind]} ${c.kind} ${bold(E(redact(clip(c.title, 150))))} — ${E(c.why)} · ${chatCode(clip(c.source, 200))}`;
  const blocks: MessageBlock[] = [{ type: 'section', text: `📚 ${bold('From the knowledge base')}\n${citations.map(line).join('\n')}` }];
  const last = citations.find((c) => c.fixed);
  if (last?.fixed) blocks.push({ type: 'section', text: `🔁 ${bold('What fixed this last time')} (${E(redact(clip(last.title, 150)))}): ${E(redact(clip(last.fixed, 400)))}` });
  const text = [`From the knowledge base: ${citations.map((c) => `${c.kind} "${redact(c.title)}" (${c.why})`).join('; ')}`, ...(last?.fixed ? [`What fixed this last time: ${redact(last.fixed)}`] : [])].join('\n');
  return message(text, blocks);
}
