import { z } from 'zod';
import type { Cmdb } from '../model/telemetry.js';
import type { InvestigationResult } from './types.js';
import { OutcomeSchema, PLAN, PlannedSchema, RANK, RankedSchema, TRIAGE, TriageSchema, expertStepId, findingsOf } from './workflow.js';

export class InvestigationError extends Error {
  override name = 'InvestigationError';
}

/** A run's step results as Mastra reports them (live or from storage): step id → status and output. */
export type StepResults = Record<string, { status: string; output?: unknown; suspendPayload?: unknown } | undefined>;

/** The output of a step that succeeded, validated; null when the step has not (yet) succeeded. */
export function stepOutput<S extends z.ZodType>(steps: StepResults, id: string, schema: S): z.infer<S> | null {
  const step = steps[id];
  if (step?.status !== 'success') return null;
  const parsed = schema.safeParse(step.output);
  if (!parsed.success) throw new InvestigationError(`the stored output of step ${id} does not parse: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * The investigation's result from a run's step results, once its planning step succeeded (null before): the same
 * whether the run just finished here or was read back from storage after a restart.
 */
export function investigationResult(steps: StepResults, expertIds: readonly string[], cmdb: Cmdb): InvestigationResult | null {
  const triage = stepOutput(steps, TRIAGE, TriageSchema);
  const ranked = stepOutput(steps, RANK, RankedSchema);
  const planned = stepOutput(steps, PLAN, PlannedSchema);
  if (!triage || !ranked || !planned) return null;
  const outcomes = expertIds.flatMap((id) => {
    const o = stepOutput(steps, expertStepId(id), OutcomeSchema);
    return o ? [o] : [];
  });
  return {
    incident: triage.incident,
    cmdb,
    baseline: triage.baseline,
    window: triage.window,
    outcomes,
    findings: findingsOf(outcomes),
    ranked: ranked.ranked,
    reflection: ranked.reflection,
    plan: planned.plan,
    planNotes: planned.planNotes,
    planner: 'deterministic planner',
  };
}
