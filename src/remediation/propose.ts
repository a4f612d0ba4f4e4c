import { NoFittingActionError, type PlanInput, RefusedByHistoryError, planRemediation, planScriptRemediation, targetKind, verificationTargets } from './planner.js';
import type { RemediationPlan } from '../model/remediation.js';
import { type ScriptWriter, templateScriptWriter } from './script-writer.js';

export interface Proposal {
  plan: RemediationPlan | null;
  /** what the thread should know about how the plan came about (a script instead of an action, why none) */
  notes: string[];
}

/**
 * The fix for the top hypothesis: registered actions from the runbook when they fit the target; otherwise a script
 * from the first writer whose draft passes validation; otherwise no plan, with the reason, for a human to take over.
 */
export async function proposeRemediation(input: PlanInput & { scriptWriters?: ScriptWriter[] }): Promise<Proposal> {
  try {
    return { plan: planRemediation(input), notes: [] };
  } catch (err) {
    const { hypothesis: h, cmdb } = input;
    const owner = cmdb.services.find((s) => s.name === h.component)?.owner;
    // a script would only do the same thing another way (kubectl rollout undo redeploys what a rollback removed)
    if (err instanceof RefusedByHistoryError) {
      return { plan: null, notes: [`No fix proposed: ${err.message}.`, `Nothing else is proposed automatically; this needs a human${owner ? ` (owner: ${owner})` : ''}.`] };
    }
    if (!(err instanceof NoFittingActionError)) throw err;
    const notes = [`No registered action fits: ${err.message}.`];
    const request = {
      faultKind: h.kind,
      component: h.component,
      componentKind: targetKind(h.component, cmdb),
      hosts: cmdb.services.find((s) => s.name === h.component)?.hosts ?? [],
      reason: err.message,
    };
    for (const writer of input.scriptWriters ?? [templateScriptWriter]) {
      let draft;
      try {
        draft = await writer.write(request);
      } catch (e) {
        notes.push(`The ${writer.name} script writer failed: ${(e as Error).message}.`);
        continue;
      }
      if (!draft) continue;
      const planned = await planScriptRemediation({
        incident: input.incident,
        hypothesisId: h.id,
        target: h.component,
        script: draft.script,
        description: draft.description,
        approvers: input.approvers,
        verification: verificationTargets(h, input.incident, cmdb, input.runbooks),
        now: input.now,
      });
      if (planned.ok) {
        notes.push(`A script written by ${draft.author} is proposed instead (high risk: shown in full, two distinct approvers).`, ...planned.notes);
        return { plan: planned.plan, notes };
      }
      notes.push(`The script written by ${draft.author} was refused: ${planned.reason}.`);
    }
    notes.push(`No script could be written either; this needs a human${owner ? ` (owner: ${owner})` : ''}.`);
    return { plan: null, notes };
  }
}
