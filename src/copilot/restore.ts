import { z } from 'zod';
import { FindingSchema, HypothesisSchema, ReflectionSchema } from '../model/evidence.js';
import { IncidentSchema } from '../model/incident.js';
import { type Approval, type AuditEvent, RemediationPlanSchema } from '../model/remediation.js';
import { ReportSchema } from '../model/report.js';
import type { Cmdb } from '../model/telemetry.js';
import { requiredApprovals } from '../remediation/approval.js';
import { investigationWindows } from '../investigation/windows.js';
import type { IncidentStore } from '../storage/types.js';
import type { IncidentSession } from './types.js';

/**
 * Rebuilds, after a restart, an incident session whose plan still awaits a decision, with the approvals already
 * given, so it can still be decided. Only the last proposal of the plan counts (an alert that fires again is
 * proposed again): its approvals are the audit events after that proposal. A plan that was settled (rejected, or
 * approved by enough people) or ran is not brought back (null), so nothing can decide or run it again; neither is a
 * session whose records do not parse.
 */
export async function restorePendingSession(store: IncidentStore, incidentId: string, cmdb: Cmdb): Promise<IncidentSession | null> {
  const read = async <S extends z.ZodType>(kind: Parameters<IncidentStore['get']>[1], schema: S): Promise<z.infer<S> | null> => {
    const raw = await store.get(incidentId, kind);
    if (raw === null) return null;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new Error(`${incidentId}: stored ${kind} does not parse`);
    return parsed.data;
  };
  try {
    const [incident, report, findings, ranked, reflection, plan] = await Promise.all([
      read('incident', IncidentSchema),
      read('report', ReportSchema),
      read('findings', z.array(FindingSchema)),
      read('hypotheses', z.array(HypothesisSchema)),
      read('reflection', ReflectionSchema),
      read('plan', RemediationPlanSchema),
    ]);
    if (!incident || !report || !findings || !ranked || !reflection || !plan) return null;
    const all = await store.listAudit({ incidentId });
    const lastProposal = all.findLastIndex((e) => e.type === 'proposed' && e.planId === plan.id && e.planHash === plan.hash);
    if (lastProposal < 0) return null;
    const round = all.slice(lastProposal + 1).filter((e) => e.planId === plan.id);
    const { approval, pending } = decisions(round, plan.id, plan.hash, requiredApprovals(plan));
    if (approval || round.some((e) => e.type === 'executed' || e.type === 'step_failed')) return null;
    const { baseline, window } = investigationWindows(incident.window.toMs);
    return {
      incident,
      result: { incident, cmdb, baseline, window, outcomes: [], findings, ranked, reflection, plan, planner: 'deterministic planner' },
      report,
      approval: null,
      approvals: pending,
      execution: null,
      verification: null,
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
