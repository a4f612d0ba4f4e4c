import type { Approval, RemediationPlan, Risk } from '../model/remediation.js';
import { hashPlan } from './planner.js';

export type Decision = { ok: true; approval: Approval; /** true when this decision settles the plan (executes or rejects it) */ complete: boolean } | { ok: false; reason: string };

/** Who may approve at each risk level, how many distinct approvers each level needs, and how long a proposal lives. */
export interface ApprovalPolicy {
  /** a non-empty list replaces the plan's own approvers at that risk level */
  approvers?: Partial<Record<Risk, string[]>>;
  /** minutes after `plan.createdAt` (the copilot's clock) when the proposal expires; unset or 0: never */
  ttlMinutes?: number;
}

/** High-risk plans need two distinct approvers; the others one. */
export const requiredApprovals = (plan: Pick<RemediationPlan, 'risk'>): number => (plan.risk === 'high' ? 2 : 1);

export function eligibleApprovers(plan: RemediationPlan, policy: ApprovalPolicy = {}): string[] {
  const byRisk = policy.approvers?.[plan.risk];
  return byRisk && byRisk.length > 0 ? byRisk : plan.approvers;
}

export function planExpired(plan: RemediationPlan, now: number, policy: ApprovalPolicy = {}): string | null {
  if (!policy.ttlMinutes || policy.ttlMinutes <= 0) return null;
  const ageMs = now - plan.createdAt;
  if (ageMs <= policy.ttlMinutes * 60_000) return null;
  return `the plan expired: it was proposed ${Math.floor(ageMs / 60_000)} minutes ago and proposals live ${policy.ttlMinutes} minutes; it needs a new proposal`;
}

/**
 * The approval gate. Only a listed approver may decide, only on the plan exactly as proposed (its hash), only before
 * the proposal expires, and only once: a plan that was decided, or whose content changed since it was hashed, needs
 * a fresh proposal. A high-risk plan needs approvals from two distinct approvers; the same person twice is refused.
 */
export function decide(
  plan: RemediationPlan,
  actor: string,
  decision: Approval['decision'],
  state: {
    previous: Approval | null;
    /** approvals already given to this plan that did not yet settle it (high risk: the first of two) */
    pending?: Approval[];
    now: number;
    /** membership the chat platform vouches for (e.g. the actor is in a listed Slack user group) */
    memberOfApprovers?: boolean;
    policy?: ApprovalPolicy;
  },
): Decision {
  const approvers = eligibleApprovers(plan, state.policy);
  if (!approvers.includes(actor) && state.memberOfApprovers !== true) {
    return { ok: false, reason: `${actor} may not approve this ${plan.risk}-risk plan; approvers: ${approvers.join(', ')}` };
  }
  const { hash, ...content } = plan;
  if (hashPlan(content) !== hash) return { ok: false, reason: 'the plan changed after it was proposed; it needs a new proposal' };
  if (state.previous) {
    return { ok: false, reason: `this plan was already ${state.previous.decision} by ${state.previous.actor}` };
  }
  const expired = planExpired(plan, state.now, state.policy);
  if (expired) return { ok: false, reason: expired };
  const pending = (state.pending ?? []).filter((a) => a.decision === 'approved' && a.planHash === hash);
  if (decision === 'approved' && pending.some((a) => a.actor === actor)) {
    return { ok: false, reason: `${actor} already approved this plan; a ${plan.risk}-risk plan needs ${requiredApprovals(plan)} distinct approvers` };
  }
  const approval: Approval = { planId: plan.id, planHash: hash, actor, decision, at: state.now };
  return { ok: true, approval, complete: decision === 'rejected' || pending.length + 1 >= requiredApprovals(plan) };
}

/**
 * Re-checked right before execution: the approval must be for this very plan content, and a high-risk plan must
 * carry approvals from enough distinct approvers (`others`: the earlier approvals of the same plan).
 */
export function approvalCovers(plan: RemediationPlan, approval: Approval | null, others: Approval[] = []): string | null {
  if (!approval) return 'the plan has not been approved';
  if (approval.decision !== 'approved') return `the plan was ${approval.decision}`;
  if (approval.planId !== plan.id) return 'the approval is for another plan';
  const { hash, ...content } = plan;
  if (approval.planHash !== hash || hashPlan(content) !== hash) return 'the plan changed after it was approved';
  const actors = new Set([approval, ...others].filter((a) => a.decision === 'approved' && a.planId === plan.id && a.planHash === hash).map((a) => a.actor));
  if (actors.size < requiredApprovals(plan)) return `a ${plan.risk}-risk plan needs ${requiredApprovals(plan)} distinct approvers; it has ${actors.size}`;
  return null;
}
