import type { Incident } from '../model/incident.js';
import type { InvestigationResult } from './types.js';
import { createInvestigationWorkflow, type WorkflowDeps } from './workflow.js';
import { investigationWindows } from './windows.js';

export class InvestigationError extends Error {
  override name = 'InvestigationError';
}

/** Runs one investigation; a fresh workflow per incident keeps concurrent incidents apart. */
export async function runInvestigation(deps: WorkflowDeps, incident: Incident): Promise<InvestigationResult> {
  const { workflow, cmdbOf } = createInvestigationWorkflow(deps);
  const run = await workflow.createRun();
  const result = await run.start({ inputData: { incident } });
  if (result.status !== 'success') {
    const reason = result.status === 'failed' ? String(result.error?.message ?? result.error) : result.status;
    throw new InvestigationError(`investigation of ${incident.id} did not finish: ${reason}`);
  }
  const out = result.result;
  const { baseline, window } = investigationWindows(incident.window.toMs);
  return {
    incident,
    cmdb: cmdbOf()!,
    baseline,
    window,
    outcomes: out.outcomes.map((o: { expert: string }) => ({ ...o, expert: o.expert as InvestigationResult['outcomes'][number]['expert'] })) as InvestigationResult['outcomes'],
    findings: out.findings,
    ranked: out.ranked,
    reflection: out.reflection,
    plan: out.plan,
    planNotes: out.planNotes,
    planner: 'deterministic planner',
  };
}
