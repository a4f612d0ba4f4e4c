import type { Approval, RemediationPlan } from '../model/remediation.js';
import { hashPlan } from './planner.js';

export type Decision = { ok: true; approval: Approval } | { ok: false; reason: string };

/**
 * The approval gate. Only a listed approver may decide, only on the plan exactly as proposed (its hash), and only
 * once: a plan that was decided, or whose content changed since it was hashed, needs a fresh proposal.
 */
export function decide(
  plan: RemediationPlan,
  actor: string,
  decision: Approval['decision'],
  state: {
    previous: Approval | null;
    now: number;
    /** membership the chat platform vouches for (e.g. the actor is in a listed Slack user group) */
    memberOfApprovers?: boolean;
  },
): Decision {
  if (!plan.approvers.includes(actor) && state.memberOfApprovers !== true) {
    return { ok: false, reason: `${actor} may not approve this plan; approvers: ${plan.approvers.join(', ')}` };
  }
  const { hash, ...content } = plan;
  if (hashPlan(content) !== hash) return { ok: false, reason: 'the plan changed after it was proposed; it needs a new proposal' };
  if (state.previous) {
    return { ok: false, reason: `this plan was already ${state.previous.decision} by ${state.previous.actor}` };
  }
  return { ok: true, approval: { planId: plan.id, planHash: hash, actor, decision, at: state.now } };
}

/** Re-checked right before execution: the approval must be for this very plan content. */
export function approvalCovers(plan: RemediationPlan, approval: Approval | null): string | null {
  if (!approval) return 'the plan has not been approved';
  if (approval.decision !== 'approved') return `the plan was ${approval.decision}`;
  if (approval.planId !== plan.id) return 'the approval is for another plan';
  const { hash, ...content } = plan;
  if (approval.planHash !== hash || hashPlan(content) !== hash) return 'the plan changed after it was approved';
  return null;
}
