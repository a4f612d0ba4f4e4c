import { z } from 'zod';

export const ActionKindSchema = z.enum([
  'restart_service',
  'rollback_deploy',
  'scale_out',
  'failover',
  'clear_cache',
  'revert_config',
  'free_disk',
  'kill_slow_queries',
  'enable_circuit_breaker',
  /** a generated bash script (params.script), for when no registered action fits; always high risk */
  'run_script',
  /** POST to an automation endpoint named in config (params.hook), never a URL taken from text */
  'call_webhook',
  /** a typed kubectl operation on the target's deployment (params.verb: rollout_restart | rollout_undo | scale) */
  'kubectl',
]);
export type ActionKind = z.infer<typeof ActionKindSchema>;

export const RiskSchema = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof RiskSchema>;

export const VerificationTargetSchema = z.object({
  entity: z.string(),
  metric: z.string(),
  recoverWithinMinutes: z.number().positive(),
});
export type VerificationTarget = z.infer<typeof VerificationTargetSchema>;

/**
 * A condition checked right before a step runs; a failing pre-check stops the plan before the step changes anything.
 * Typed, so nothing from alert or log text can become a check.
 */
export const PreCheckSchema = z.discriminatedUnion('kind', [
  /** the target is still a component of the CMDB (a renamed or removed service is not acted on) */
  z.object({ kind: z.literal('component_exists'), component: z.string() }),
  /** the trouble is still there (at least one of these metrics is off its baseline); a recovered system needs no fix */
  z.object({ kind: z.literal('still_degraded'), targets: z.array(z.object({ entity: z.string(), metric: z.string() })).min(1) }),
  /** the version to roll back from is still the one deployed (nobody rolled back or forward meanwhile) */
  z.object({ kind: z.literal('version_still_deployed'), component: z.string(), version: z.string() }),
  /** the executor's dry run of the step succeeds (allow-lists, binaries, targets) */
  z.object({ kind: z.literal('dry_run') }),
]);
export type PreCheck = z.infer<typeof PreCheckSchema>;

export const PlanStepSchema = z.object({
  id: z.string(),
  action: ActionKindSchema,
  target: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  description: z.string(),
  risk: RiskSchema.default('medium'),
  preChecks: z.array(PreCheckSchema).default([]),
  /** which metrics must recover after this step, and within how long */
  verification: z.array(VerificationTargetSchema).default([]),
  /** an escalation ladder: after this step, wait its window and re-check its metrics; recovered → later steps are not run */
  stopIfRecovered: z.boolean().optional(),
  rollback: z.string().optional().describe('how to undo this step'),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const RemediationPlanSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  hypothesisId: z.string(),
  title: z.string(),
  steps: z.array(PlanStepSchema).min(1),
  risk: RiskSchema,
  approvers: z.array(z.string()).describe('users or roles who may approve'),
  verification: z.array(VerificationTargetSchema),
  runbook: z.string().optional(),
  createdAt: z.number(),
  hash: z.string().describe('sha256 of the plan content; an approval binds to it'),
});
export type RemediationPlan = z.infer<typeof RemediationPlanSchema>;

export const ApprovalSchema = z.object({
  planId: z.string(),
  planHash: z.string(),
  actor: z.string(),
  decision: z.enum(['approved', 'rejected']),
  at: z.number(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

export const PreCheckResultSchema = z.object({ kind: z.string(), ok: z.boolean(), detail: z.string() });
export type PreCheckResult = z.infer<typeof PreCheckResultSchema>;

export const StepResultSchema = z.object({
  stepId: z.string(),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  output: z.string(),
  /** the pre-checks run before the step (a failed one means the step itself never ran) */
  preChecks: z.array(PreCheckResultSchema).optional(),
});

export const ExecutionSchema = z.object({
  planId: z.string(),
  actor: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  status: z.enum(['succeeded', 'failed']),
  steps: z.array(StepResultSchema),
});
export type Execution = z.infer<typeof ExecutionSchema>;

export const VerificationCheckSchema = z.object({
  entity: z.string(),
  metric: z.string(),
  baseline: z.number(),
  during: z.number(),
  after: z.number(),
  recovered: z.boolean(),
});

export const VerificationSchema = z.object({
  planId: z.string(),
  checkedAt: z.number(),
  recovered: z.boolean(),
  checks: z.array(VerificationCheckSchema),
  /** each step's own verification targets, judged on the same reads */
  steps: z.array(z.object({ stepId: z.string(), recovered: z.boolean(), checks: z.array(VerificationCheckSchema) })).optional(),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const AuditEventTypeSchema = z.enum([
  'proposed',
  'approved',
  'rejected',
  'refused',
  'executed',
  'step_failed',
  'rolled_back',
  'verified',
]);

/** One line of the append-only audit log: every proposal, decision, execution and verification. */
export const AuditEventSchema = z.object({
  type: AuditEventTypeSchema,
  incidentId: z.string(),
  planId: z.string().optional(),
  planHash: z.string().optional(),
  actor: z.string(),
  /** the copilot's clock (epoch ms): scenario time in the simulator, real time in production */
  at: z.number(),
  detail: z.string(),
  /** wall clock (epoch ms) when the audit store appended the event; the store sets it, whatever a caller passes */
  recordedAt: z.number().optional(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
