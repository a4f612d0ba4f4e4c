import { RequestContext } from '@mastra/core/request-context';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';
import type { DecisionRequest, GateOutcome, IncidentSession } from '../copilot/types.js';
import { type InvestigationHost, investigationSteps, PLAN, PlannedSchema, RANK, TRIAGE, expertStepId } from '../investigation/workflow.js';
import { investigationResult, type StepResults } from '../investigation/run.js';
import type { InvestigationResult } from '../investigation/types.js';
import type { Expert } from '../model/evidence.js';
import { IncidentSchema } from '../model/incident.js';
import { type Approval, ApprovalSchema, ExecutionSchema, VerificationSchema } from '../model/remediation.js';
import { ReportSchema } from '../model/report.js';

export const LIFECYCLE_WORKFLOW_ID = 'incident-lifecycle';
/** Step ids past the investigation; with the investigation's, the keys of a run's step results in storage. */
export const CONCLUDE = 'conclude';
export const APPROVAL = 'approval';
export const EXECUTE = 'execute';
export const VERIFY = 'verify';

/**
 * Everything a run's steps need that cannot be stored: the chat thread, the executor, the connectors, the
 * incident's in-memory session. The copilot that starts, resumes or restarts a run hands itself over in the run's
 * request context; the workflow itself is built once per runtime and holds none of it.
 */
export interface IncidentHost extends InvestigationHost {
  /** posts the diagnosis to the thread (ranking, reflection, report, plan), keeps the records, and the session */
  conclude(runId: string, result: InvestigationResult): Promise<IncidentSession>;
  session(incidentId: string): IncidentSession | undefined;
  /** the approval gate (policy in remediation/approval.ts): audits and answers in the thread */
  settle(session: IncidentSession, request: DecisionRequest, pending: Approval[]): Promise<GateOutcome>;
  /** runs the approved plan, step by step after its pre-checks */
  execute(session: IncidentSession, coApprovals: Approval[]): Promise<void>;
  /** after a restart during the execution: says so, and does not run the fix again */
  executionInterrupted(session: IncidentSession): Promise<void>;
  /** verifies recovery (when the fix succeeded), offers the rollback when due, rewrites the report */
  finish(session: IncidentSession): Promise<void>;
}

export const DecisionRequestSchema = z.object({ actor: z.string().min(1), decision: z.enum(['approved', 'rejected']) });

const HOST_KEY = 'sre-copilot.host';

/** The request context a copilot passes to start, resume or restart a run. */
export function hostContext(host: IncidentHost): RequestContext {
  const rc = new RequestContext();
  // a function, so that Mastra leaves it out of the snapshots it stores (it keeps only serialisable values)
  rc.set(HOST_KEY, () => host);
  return rc;
}

function hostOf(rc: RequestContext): IncidentHost {
  const get = rc.get(HOST_KEY) as (() => IncidentHost) | undefined;
  if (typeof get !== 'function') throw new Error('this run is driven by sre-copilot: incidents start, and are approved, in their chat thread');
  return get();
}

export const ConcludedSchema = z.object({ incidentId: z.string(), incident: IncidentSchema, report: ReportSchema, explanation: z.object({ text: z.string(), author: z.string() }).optional() });
/** What a run suspended at the approval step keeps: the plan it gates (none yet: null) and the approvals given so far. */
export const PendingApprovalSchema = z.object({ planId: z.string().nullable(), planHash: z.string().nullable(), approvals: z.array(ApprovalSchema), refused: z.string().optional() });
export const DecidedSchema = z.object({ incidentId: z.string(), decision: z.enum(['approved', 'rejected']), approval: ApprovalSchema.nullable(), coApprovals: z.array(ApprovalSchema) });
export const ExecutedSchema = z.object({ incidentId: z.string(), execution: ExecutionSchema.nullable(), interrupted: z.boolean() });
export const FinishedSchema = z.object({ incidentId: z.string(), verification: VerificationSchema.nullable() });

/**
 * One incident from alert to verified fix, as a durable Mastra workflow: the investigation (triage → experts →
 * rank → plan), the diagnosis posted to the thread, the approval (suspends until a decision; a first approval of a
 * high-risk plan suspends again for the second), the execution and the verification. Every step's output is
 * stored, so a run interrupted by a crash is restarted where it stopped, and a suspended one is resumed by the
 * next process.
 */
export function createLifecycleWorkflow(experts: readonly { id: Expert; name: string }[]) {
  const investigation = investigationSteps(experts, hostOf);
  const stepIds = [TRIAGE, ...experts.map((e) => expertStepId(e.id)), RANK, PLAN];

  const conclude = createStep({
    id: CONCLUDE,
    inputSchema: PlannedSchema,
    outputSchema: ConcludedSchema,
    execute: async ({ inputData, runId, getStepResult, requestContext }) => {
      const host = hostOf(requestContext);
      const steps: StepResults = Object.fromEntries(stepIds.map((id) => [id, { status: 'success', output: getStepResult(id) }]));
      const result = investigationResult(steps, experts.map((e) => e.id), await host.connectors.cmdb.snapshot());
      if (!result) throw new Error(`the investigation of ${inputData.incidentId} left no result to conclude`);
      const session = await host.conclude(runId, result);
      return { incidentId: inputData.incidentId, incident: session.incident, report: session.report, ...(session.explanation ? { explanation: session.explanation } : {}) };
    },
  });

  const approval = createStep({
    id: APPROVAL,
    inputSchema: ConcludedSchema,
    outputSchema: DecidedSchema,
    resumeSchema: DecisionRequestSchema,
    suspendSchema: PendingApprovalSchema,
    execute: async ({ inputData, resumeData, suspendData, suspend, requestContext }) => {
      const { incidentId } = inputData;
      const get = requestContext.get(HOST_KEY);
      // a resume from elsewhere (a console without the chat platform's identities) decides nothing
      if (typeof get !== 'function' && suspendData) return suspend({ ...suspendData, refused: 'approvals are given in the incident thread' });
      const host = hostOf(requestContext);
      const session = host.session(incidentId);
      if (!session) throw new Error(`no session for ${incidentId} to decide on`);
      // Without a plan the run still waits: a script may be proposed in the thread and then decided on.
      const plan = session.result.plan;
      // approvals count for the plan exactly as proposed; a replaced proposal (a script) starts from none
      const pending = (suspendData?.approvals ?? []).filter((a) => a.planId === plan?.id && a.planHash === plan?.hash);
      const waiting = (approvals: Approval[], refused?: string) => suspend({ planId: plan?.id ?? null, planHash: plan?.hash ?? null, approvals, ...(refused ? { refused } : {}) });
      session.approvals = pending;
      if (!resumeData) return waiting(pending);
      if (!plan) return waiting([], `no plan awaits a decision for ${incidentId}`);
      const outcome = await host.settle(session, resumeData, pending);
      if (!outcome.settled) return waiting(outcome.approvals, outcome.refused);
      return { incidentId, decision: outcome.approval.decision, approval: outcome.approval, coApprovals: outcome.coApprovals };
    },
  });

  const execute = createStep({
    id: EXECUTE,
    inputSchema: DecidedSchema,
    outputSchema: ExecutedSchema,
    execute: async ({ inputData, restart, requestContext }) => {
      const { incidentId } = inputData;
      if (inputData.decision !== 'approved') return { incidentId, execution: null, interrupted: false };
      const host = hostOf(requestContext);
      const session = host.session(incidentId);
      if (!session) throw new Error(`no session for ${incidentId} to execute`);
      // Restarted in the middle of the fix: some steps may have run. A fix never runs twice; recovery is checked next.
      if (restart) {
        await host.executionInterrupted(session);
        return { incidentId, execution: session.execution, interrupted: true };
      }
      await host.execute(session, inputData.coApprovals);
      return { incidentId, execution: session.execution, interrupted: false };
    },
  });

  const verify = createStep({
    id: VERIFY,
    inputSchema: ExecutedSchema,
    outputSchema: FinishedSchema,
    execute: async ({ inputData, requestContext }) => {
      const { incidentId } = inputData;
      if (!inputData.execution && !inputData.interrupted) return { incidentId, verification: null };
      const host = hostOf(requestContext);
      const session = host.session(incidentId);
      if (!session) throw new Error(`no session for ${incidentId} to verify`);
      await host.finish(session);
      return { incidentId, verification: session.verification };
    },
  });

  return createWorkflow({
    id: LIFECYCLE_WORKFLOW_ID,
    description: 'One incident from alert to verified fix: experts → ranked root cause → plan → approval (suspends) → execution → verification',
    inputSchema: investigation.triage.inputSchema,
    outputSchema: FinishedSchema,
  })
    .then(investigation.triage)
    .parallel(investigation.expertSteps as [(typeof investigation.expertSteps)[number], ...typeof investigation.expertSteps])
    .then(investigation.rank)
    .then(investigation.plan)
    .then(conclude)
    .then(approval)
    .then(execute)
    .then(verify)
    .commit();
}

export type LifecycleWorkflow = ReturnType<typeof createLifecycleWorkflow>;
