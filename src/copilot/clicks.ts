import { z } from 'zod';
import { requiredApprovals } from '../remediation/approval.js';
import type { Conversation } from './conversation.js';
import type { IncidentSession } from './types.js';

/** A button click as every adapter translates it: who clicked which verb on which plan (as the button carried it). */
export const ButtonClickSchema = z.object({
  verb: z.enum(['approve', 'reject', 'dryrun', 'rollback']),
  /** the plan id, or a prefix of it where the platform limits the button's payload (Discord: 100 characters) */
  planId: z.string().min(1).max(300),
  /** the plan hash the button was rendered with, or a prefix of at least 12 hex digits */
  hash: z.string().max(64),
  user: z.string().min(1).max(200),
});
export type ButtonClick = z.infer<typeof ButtonClickSchema>;

export interface ClickOutcome {
  ok: boolean;
  /** said to the clicker alone (ephemeral) */
  reply: string;
  /**
   * What the plan's message should show now: `settled` removes its buttons (decided, rolled back); `pending` keeps
   * them with a note (a high-risk plan with its first of two approvals); undefined leaves the message as it is.
   */
  message?: { state: 'settled' | 'pending'; note: string };
}

/** Parses an adapter's button value ("verb:planId:hash"); null for anything else. */
export function parseButtonValue(value: string, user: string): ButtonClick | null {
  const [verb, planId, hash, ...rest] = value.split(':');
  if (rest.length > 0) return null;
  const parsed = ButtonClickSchema.safeParse({ verb, planId, hash: hash ?? '', user });
  return parsed.success ? parsed.data : null;
}

/** A raw button value from an adapter: parsed, and audited as refused when it cannot be read. */
export async function handleButtonValue(conversation: Conversation, value: string, user: string): Promise<ClickOutcome> {
  const click = parseButtonValue(value, user);
  if (click) return handleClick(conversation, click);
  await conversation.deps.store.appendAudit({ type: 'refused', incidentId: 'unknown', actor: user.slice(0, 200) || 'unknown', at: conversation.deps.now(), detail: `unreadable button value ${JSON.stringify(value.slice(0, 120))}` });
  return { ok: false, reply: 'Not done: I cannot read that button (changed or tampered with). Nothing was executed.' };
}

/**
 * Finds the plan the button belongs to and hands the decision to the core, which alone decides who may approve.
 * Clicks the core never sees — an unknown plan, a value that does not match the plan as proposed (tampered or stale)
 * — are audited here, so every refused click leaves a record.
 */
export async function handleClick(conversation: Conversation, click: ButtonClick): Promise<ClickOutcome> {
  const { copilot } = conversation;
  // in a cluster the plan was proposed by a worker: its session is read back from the suspended run
  await copilot.load(incidentOfPlanId(click.planId));
  const found = findSession(conversation, click.planId);
  const incidentId = found?.incident.id ?? incidentOfPlanId(click.planId);
  const refuse = async (reason: string): Promise<ClickOutcome> => {
    await conversation.deps.store.appendAudit({
      type: 'refused',
      incidentId,
      ...(found?.result.plan ? { planId: found.result.plan.id, planHash: found.result.plan.hash } : {}),
      actor: click.user,
      at: conversation.deps.now(),
      detail: `${click.verb} button: ${reason}`,
    });
    return { ok: false, reply: `Not done: ${reason}. Nothing was executed.` };
  };
  const plan = found?.result.plan;
  if (!found || !plan) return refuse(`plan ${click.planId} is no longer awaiting a decision here (it was replaced, or I was restarted)`);
  if (click.hash.length < 12 || !plan.hash.startsWith(click.hash)) return refuse('the button does not match the plan as proposed (changed or tampered with)');
  if (click.verb === 'dryrun') {
    // read-only: pre-checks and the executor's dry run, posted in the thread; anyone in the channel may ask
    const dry = await copilot.dryRun(found.incident.id);
    return dry.ok ? { ok: true, reply: 'Dry run posted in the thread; nothing was executed.' } : { ok: false, reply: `Not done: ${dry.error}` };
  }
  if (conversation.inFlight.has(found.incident.id)) return refuse('a decision on this plan is already being carried out');
  const outcome =
    click.verb === 'rollback'
      ? await copilot.rollback(found.incident.id, click.user)
      : await conversation.decide(found.incident.id, click.user, click.verb === 'approve' ? 'approved' : 'rejected');
  if (!outcome.ok) return { ok: false, reply: `Not done: ${outcome.error}. Nothing was executed.` };
  return { ok: true, reply: 'Done; see the thread.', message: messageState(outcome.session, click) };
}

function messageState(session: IncidentSession, click: ButtonClick): ClickOutcome['message'] {
  const plan = session.result.plan;
  if (click.verb === 'rollback') return { state: 'settled', note: `↩️ Rollback run by ${click.user}` };
  if (session.approval) {
    const verb = session.approval.decision === 'approved' ? '✅ Approved' : '❌ Rejected';
    const all = [...(session.approvals ?? []).map((a) => a.actor), session.approval.actor];
    return { state: 'settled', note: `${verb} by ${[...new Set(all)].join(' and ')}` };
  }
  const given = session.approvals ?? [];
  const needed = plan ? requiredApprovals(plan) : 2;
  return { state: 'pending', note: `👍 ${given.length} of ${needed} approvals (${given.map((a) => a.actor).join(', ')}) — waiting for a second approver` };
}

function findSession(conversation: Conversation, planId: string): IncidentSession | undefined {
  const exact = incidentOfPlanId(planId);
  const direct = conversation.copilot.session(exact);
  if (direct?.result.plan?.id.startsWith(planId)) return direct;
  return conversation.copilot.allSessions().find((s) => s.result.plan?.id.startsWith(planId));
}

/** Plan ids read "plan-<incident id>-<component>-<kind>": the incident a click was meant for, for the audit trail. */
function incidentOfPlanId(planId: string): string {
  return /^plan-(INC-\d{12}-[0-9a-f]+)/.exec(planId)?.[1] ?? 'unknown';
}
