import { type AnyWorkflow, DefaultExecutionEngine } from '@mastra/core/workflows';
import { z } from 'zod';
import type { DecisionRequest } from '../copilot/types.js';
import type { StepResults } from '../investigation/run.js';
import { type Incident, IncidentSchema } from '../model/incident.js';
import { hostContext, type IncidentHost } from './lifecycle.js';

/** Where a lifecycle run stands, as Mastra keeps it: its status and every step's result so far. */
export interface LifecycleRun {
  runId: string;
  incidentId: string;
  /** Mastra's run status: running, suspended (waiting on the approval), success, failed, canceled, … */
  status: string;
  steps: StepResults;
  /** the incident the run was started with (null when the stored input does not parse) */
  incident: Incident | null;
  createdAt: number;
  error?: string;
}

const StepResultsSchema = z.record(z.string(), z.object({ status: z.string(), output: z.unknown().optional(), suspendPayload: z.unknown().optional() }).optional().catch(undefined));
const SnapshotSchema = z.object({ status: z.string(), context: z.record(z.string(), z.unknown()).default({}), error: z.unknown().optional() });
const InputSchema = z.object({ incident: IncidentSchema });

/** Statuses of a run that was under way when its process stopped: the next process restarts it. */
export const ACTIVE_STATUSES = new Set(['running', 'pending', 'waiting']);

/** The result of a start, resume or restart, reduced to what the copilot reads. */
export interface RunOutcome {
  status: string;
  steps: StepResults;
  error?: string;
  /** each suspended step's payload */
  suspendPayload?: Record<string, unknown>;
}

/**
 * The copilot's handle on the registered lifecycle workflow: starts a run per incident (its resource id), resumes
 * the approval step with a decision, restarts runs a crash interrupted, and reads runs back from storage. Every
 * call carries the driving copilot as the run's host (see hostContext).
 */
export class LifecycleRuns {
  constructor(private readonly workflow: AnyWorkflow) {}

  async start(incident: Incident, host: IncidentHost): Promise<RunOutcome & { runId: string }> {
    const run = await this.workflow.createRun({ resourceId: incident.id });
    return { runId: run.runId, ...outcome(await run.start({ inputData: { incident }, requestContext: hostContext(host) })) };
  }

  async resume(runId: string, step: string, request: DecisionRequest, host: IncidentHost): Promise<RunOutcome> {
    const run = await this.workflow.createRun({ runId });
    // In the process that saw the run suspend, Mastra's default engine skips the "running" snapshots of the resumed
    // steps (a guard for the suspend record), so a crash after the approval would lose the decision and the fix
    // that ran. The resume claim has already marked the run running in storage: its steps must be stored too.
    if (run.executionEngine instanceof DefaultExecutionEngine) run.executionEngine.clearLastPersistedStatus(runId);
    return outcome(await run.resume({ step, resumeData: request, requestContext: hostContext(host) }));
  }

  async restart(runId: string, host: IncidentHost): Promise<RunOutcome> {
    const run = await this.workflow.createRun({ runId });
    return outcome(await run.restart({ requestContext: hostContext(host) }));
  }

  /** Marks a run as abandoned (Mastra: canceled), so no later process resumes it. */
  async cancel(runId: string): Promise<void> {
    await (await this.workflow.createRun({ runId })).cancel();
  }

  async get(runId: string): Promise<LifecycleRun | null> {
    const state = await this.workflow.getWorkflowRunById(runId, { withNestedWorkflows: false });
    if (!state || state.isFromInMemory) return null;
    const steps = StepResultsSchema.parse(state.steps ?? {});
    const input = InputSchema.safeParse(state.payload);
    return {
      runId,
      incidentId: state.resourceId ?? '',
      status: state.status,
      steps,
      incident: input.success ? input.data.incident : null,
      createdAt: new Date(state.createdAt).getTime(),
      ...(state.error ? { error: errorText(state.error) ?? 'failed' } : {}),
    };
  }

  /** Every stored run, newest first (at most `limit`). */
  async list(limit = 500, incidentId?: string): Promise<LifecycleRun[]> {
    const { runs } = await this.workflow.listWorkflowRuns({ perPage: limit, page: 0, ...(incidentId ? { resourceId: incidentId } : {}) });
    const out: LifecycleRun[] = [];
    for (const r of runs) {
      const snapshot = SnapshotSchema.safeParse(typeof r.snapshot === 'string' ? safeJson(r.snapshot) : r.snapshot);
      if (!snapshot.success || !r.resourceId) continue;
      const input = InputSchema.safeParse(snapshot.data.context.input);
      out.push({
        runId: r.runId,
        incidentId: r.resourceId,
        status: snapshot.data.status,
        steps: StepResultsSchema.parse(snapshot.data.context),
        incident: input.success ? input.data.incident : null,
        createdAt: new Date(r.createdAt).getTime(),
        ...(snapshot.data.error ? { error: errorText(snapshot.data.error) ?? 'failed' } : {}),
      });
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The newest run of each incident, newest first: an alert that fired again supersedes the earlier run. */
  async latestPerIncident(limit = 500): Promise<LifecycleRun[]> {
    const seen = new Set<string>();
    return (await this.list(limit)).filter((r) => !seen.has(r.incidentId) && seen.add(r.incidentId));
  }

  /** The newest run of one incident (null: none began). */
  async latestOf(incidentId: string): Promise<LifecycleRun | null> {
    return (await this.list(20, incidentId)).find((r) => r.incidentId === incidentId) ?? null;
  }
}

/** Mastra hands errors back as Error instances or, read from storage, as their serialised form. */
function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (error instanceof Error) return error.message;
  const serialised = z.object({ message: z.string() }).safeParse(error);
  return serialised.success ? serialised.data.message : String(error);
}

function outcome(result: { status: string; steps?: unknown; error?: unknown; suspendPayload?: unknown }): RunOutcome {
  const error = errorText(result.error);
  const suspended = z.record(z.string(), z.unknown()).safeParse(result.suspendPayload);
  return {
    status: result.status,
    steps: StepResultsSchema.parse(result.steps ?? {}),
    ...(error !== undefined ? { error } : {}),
    ...(suspended.success ? { suspendPayload: suspended.data } : {}),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
