import type { IncidentSession } from './copilot.js';

/** Where an incident's remediation stands, in the words every channel uses ("plan proposed, awaiting …"). */
export function remediationStage(s: IncidentSession): string {
  const plan = s.result.plan;
  if (s.verification) return s.verification.recovered ? 'fixed and recovery verified' : 'fix executed, but telemetry has not recovered';
  if (s.execution) return `fix executed (${s.execution.status})`;
  if (s.approval) return `plan ${s.approval.decision} by ${s.approval.actor}`;
  return plan ? `plan proposed, awaiting approval from ${plan.approvers.join(' or ')}` : 'diagnosed, no plan';
}
