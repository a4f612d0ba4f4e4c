import type { IncidentSession } from './types.js';

/** Where an incident's remediation stands, in the words every channel uses ("plan proposed, awaiting …"). */
export function remediationStage(s: IncidentSession): string {
  const plan = s.result.plan;
  if (s.rollback) return `fix rolled back by ${s.rollback.actor} (${s.rollback.status})`;
  if (s.verification) return s.verification.recovered ? 'fixed and recovery verified' : 'fix executed, but telemetry has not recovered; rollback offered';
  if (s.execution) {
    const failed = s.execution.steps.find((step) => step.status === 'failed');
    return failed ? `fix stopped at ${failed.stepId} (${failed.preChecks?.some((c) => !c.ok) ? 'a pre-check failed' : 'the step failed'}); rollback offered` : `fix executed (${s.execution.status})`;
  }
  if (s.approval) return `plan ${s.approval.decision} by ${s.approval.actor}`;
  const given = s.approvals?.length ?? 0;
  if (plan && given > 0) return `plan approved by ${s.approvals!.map((a) => a.actor).join(', ')}; a ${plan.risk}-risk plan needs another, different approver`;
  return plan ? `plan proposed, awaiting approval from ${plan.approvers.join(' or ')}` : 'diagnosed, no plan';
}
