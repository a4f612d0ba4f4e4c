import { z } from 'zod';
import { FindingSchema, HypothesisSchema, ReflectionSchema } from '../model/evidence.js';
import { IncidentSchema } from '../model/incident.js';
import { type Approval, type AuditEvent, ExecutionSchema, RemediationPlanSchema, VerificationSchema } from '../model/remediation.js';
import { ReportSchema } from '../model/report.js';
import type { Cmdb } from '../model/telemetry.js';
import { requiredApprovals } from '../remediation/approval.js';
import { investigationWindows } from '../investigation/windows.js';
import type { IncidentStore } from '../storage/types.js';
import type { IncidentSession } from './copilot.js';

/**
 * Rebuilds an incident session from storage and the audit log after a restart, so a pending plan can still be
 * decided. Only the last proposal of the plan counts (an alert that fires again is proposed again): its approvals,
 * execution, verification and rollback are the audit events after that proposal. Records that do not parse are not
 * guessed at: the session is skipped (null).
 */
export async function restoreSession(store: IncidentStore, incidentId: string, cmdb: Cmdb): Promise<IncidentSession | null> {
  const read = async <S extends z.ZodType>(kind: Parameters<IncidentStore['get']>[1], schema: S): Promise<z.infer<S> | null> => {
    const raw = await store.get(incidentId, kind);
    if (raw === null) return null;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new Error(`${incidentId}: stored ${kind} does not parse`);
    return parsed.data;
  };
  try {
    const incident = await read('incident', IncidentSchema);
    const report = await read('report', ReportSchema);
    if (!incident || !report) return null;
    const [findings, ranked, reflection, plan, execution, verification] = await Promise.all([
      read('findings', z.array(FindingSchema)),
      read('hypotheses', z.array(HypothesisSchema)),
      read('reflection', ReflectionSchema),
      read('plan', RemediationPlanSchema),
      read('execution', ExecutionSchema),
      read('verification', VerificationSchema),
    ]);
    if (!findings || !ranked || !reflection) return null;
    const { baseline, window } = investigationWindows(incident.window.toMs);
    const all = await store.listAudit({ incidentId });
    const lastProposal = all.findLastIndex((e) => e.type === 'proposed' && e.planId === plan?.id && e.planHash === plan?.hash);
    const round = lastProposal >= 0 ? all.slice(lastProposal + 1).filter((e) => e.planId === plan?.id) : [];
    const { approval, pending } = plan ? decisions(round, plan.id, plan.hash, requiredApprovals(plan)) : { approval: null, pending: [] };
    const ran = round.some((e) => e.type === 'executed' || e.type === 'step_failed');
    const rolledBack = round.filter((e) => e.type === 'rolled_back');
    return {
      incident,
      result: { incident, cmdb, baseline, window, outcomes: [], findings, ranked, reflection, plan, planner: 'deterministic planner' },
      report,
      approval,
      approvals: pending,
      execution: ran ? execution : null,
      verification: ran && round.some((e) => e.type === 'verified') ? verification : null,
      ...(rolledBack.length > 0
        ? { rollback: { planId: plan!.id, actor: rolledBack[0]!.actor, at: rolledBack[0]!.at, status: 'succeeded' as const, steps: rolledBack.map((e) => ({ stepId: e.detail.split(':')[0]!.replace(/^rollback /, ''), ok: true, output: e.detail })) } }
        : {}),
      ...(ran && execution ? { fixedAtMs: execution.finishedAt } : {}),
    };
  } catch {
    return null;
  }
}

/** The decision that settled the plan (a rejection, or the approval that completed the count) and earlier approvals. */
function decisions(audit: AuditEvent[], planId: string, planHash: string, needed: number): { approval: Approval | null; pending: Approval[] } {
  const pending: Approval[] = [];
  for (const e of audit) {
    if (e.planId !== planId || e.planHash !== planHash || (e.type !== 'approved' && e.type !== 'rejected')) continue;
    const a: Approval = { planId, planHash, actor: e.actor, decision: e.type, at: e.at };
    if (e.type === 'rejected') return { approval: a, pending };
    if (pending.some((p) => p.actor === a.actor)) continue;
    if (pending.length + 1 >= needed) return { approval: a, pending };
    pending.push(a);
  }
  return { approval: null, pending };
}
