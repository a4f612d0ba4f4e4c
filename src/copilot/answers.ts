import type { KnowledgeLookup } from '../knowledge/citations.js';
import { NO_KB_ANSWER, type Narrator } from '../agents/narrator.js';
import { redact } from '../redaction/redact.js';
import { CITATION_ICON } from '../chat/messages.js';
import type { Runbook } from '../knowledge/runbooks.js';
import type { Incident } from '../model/incident.js';
import type { ChangeEvent } from '../model/telemetry.js';
import { faultLabel } from '../report/labels.js';
import { requiredApprovals } from '../remediation/approval.js';
import { remediationStage } from './status.js';
import type { IncidentSession } from './types.js';

/** The texts the conversation answers with, the same on Slack, Discord and the console (plain text and `code`). */

export const HELP = [
  'Ask me in an incident thread (or mention me):',
  '• `why is checkout failing?` / `diagnose <service>` — investigate (in a thread of its own)',
  '• `status` — where this thread’s incident stands',
  '• `why` — the evidence behind the most likely cause',
  '• `report` — the incident report',
  '• `what changed in the last hour?` — recent deploys and config changes',
  '• `approve` / `reject <reason>` — decide on the proposed fix (the buttons do the same)',
  '• `dry run` — what the fix would do now; nothing changes',
  '• `rollback` — after a failed or unhelpful fix: undo the steps that ran',
  '• `kb <words>` — runbooks that mention them',
  'Alerts posted in watched channels are diagnosed automatically.',
].join('\n');

export function diagnosisSummary(s: IncidentSession): string {
  const top = s.result.ranked[0];
  if (!top) return `${s.incident.id}: I found no anomaly that explains the alert.`;
  return `${s.incident.id}: most likely ${faultLabel(top.kind)} on ${top.component} (confidence ${Math.round(top.confidence * 100)} %, reflection: ${s.result.reflection.verdict}).`;
}

export function whyText(s: IncidentSession): string {
  const top = s.result.ranked[0];
  if (!top) return `${s.incident.id}: I found no anomaly that explains the alert, so there is no cause to explain.`;
  const evidence = top.evidence.slice(0, 5).map((e) => `• ${e}`);
  const checks = s.result.reflection.checks.slice(0, 4).map((c) => `${c.passed ? '✅' : '❌'} ${c.name.replaceAll('_', ' ')} — ${c.detail}`);
  return [diagnosisSummary(s), ...evidence, ...(checks.length ? ['Reflection:', ...checks] : [])].join('\n');
}

/** A session's stage, or (after a restart, when only the stored record is left) the incident's stored status. */
export function statusText(s: IncidentSession | undefined, stored?: Incident): string {
  if (s) {
    const plan = s.result.plan;
    const given = s.approvals?.length ?? 0;
    const waiting = plan && !s.approval && given > 0 ? ` (${given} of ${requiredApprovals(plan)} approvals — waiting for a second approver)` : '';
    return `${s.incident.id} — ${s.incident.title} — ${s.incident.status}: ${remediationStage(s)}${waiting}.`;
  }
  if (stored) return `${stored.id} — ${stored.title} — ${stored.status}.`;
  return 'No incident is open here. Mention me with a question or paste an alert.';
}

export function changesText(changes: ChangeEvent[], sinceMinutes: number): string {
  if (changes.length === 0) return `No recorded changes in the last ${sinceMinutes} minutes.`;
  const lines = [...changes]
    .sort((a, b) => a.ts - b.ts)
    .map((c) => `• ${new Date(c.ts).toISOString().slice(11, 16)} ${c.kind} ${c.target}: ${c.description} (by ${c.author})`);
  return `Changes in the last ${sinceMinutes} minutes:\n${lines.join('\n')}`;
}

const KB_STOP = new Set(['the', 'and', 'for', 'how', 'what', 'why', 'with', 'when', 'does', 'can', 'are', 'is', 'to', 'do', 'of', 'in', 'on', 'a', 'an', 'my', 'our', 'we', 'i']);

/** Without a knowledge base (it could not be opened): runbooks whose text mentions the question's words. */
export function kbText(runbooks: Runbook[], question: string): string {
  const words = [...new Set(question.toLowerCase().split(/[^\p{L}\p{N}-]+/u).filter((w) => w.length >= 3 && !KB_STOP.has(w)))];
  const scored = runbooks
    .map((r) => {
      const hay = `${r.id} ${r.title} ${r.body}`.toLowerCase();
      return { r, score: words.filter((w) => hay.includes(w)).length };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.r.id.localeCompare(b.r.id))
    .slice(0, 5);
  const head = 'The knowledge base is not available here.';
  if (words.length === 0) return `${head} Ask with a few keywords, e.g. \`kb connection pool\`.`;
  if (scored.length === 0) return `${head} No runbook mentions ${words.map((w) => `“${w}”`).join(', ')}.`;
  return `${head} Runbooks that mention it:\n${scored.map(({ r }) => `• ${r.title.slice(0, 150)} (\`${r.id}\`)`).join('\n')}`;
}

/**
 * A question to the knowledge base, answered with its best passages and where each comes from (no LLM: the passages
 * themselves); says plainly when nothing in it matches.
 */
export async function kbAnswer(kb: Pick<KnowledgeLookup, 'search'>, question: string, narrator?: Narrator | null): Promise<string> {
  const q = question.trim().slice(0, 500);
  if (!q) return 'Ask the knowledge base a question, e.g. `kb how do we roll back a bad deploy?`';
  const hits = (await kb.search(q, { k: 3 })).filter((h) => h.score > 0);
  if (hits.length === 0) return `The knowledge base has no answer to “${redact(q.slice(0, 200))}”: nothing in its runbooks, past incidents or postmortems matches.`;
  const icon = CITATION_ICON;
  if (narrator) {
    // grounded in the passages found, which it cites by number; the passages alone when it fails or finds no answer
    const reply = await narrator.answerFrom(q, hits.map((h) => ({ title: h.title, source: h.source, text: h.snippet })));
    if (reply.ok) {
      const sources = hits.map((h, i) => `[${i + 1}] ${icon[h.kind]} ${redact(h.title.slice(0, 150))} (\`${h.source.slice(0, 200)}\`)`);
      if (reply.text.includes(NO_KB_ANSWER)) return `${NO_KB_ANSWER} (${narrator.label} read the closest passages: ${sources.join('; ')})`;
      return `${reply.text}\nSources:\n${sources.join('\n')}\n(written by ${narrator.label} from the knowledge base)`;
    }
  }
  const lines = hits.map((h) => `${icon[h.kind]} ${redact(h.title.slice(0, 150))} (${h.kind}, \`${h.source.slice(0, 200)}\`)\n> ${redact(h.snippet.replace(/\s+/g, ' ').slice(0, 320))}`);
  return `From the knowledge base:\n${lines.join('\n')}`;
}
