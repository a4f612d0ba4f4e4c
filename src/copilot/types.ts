import type { Narrator } from '../agents/narrator.js';
import type { ChatChannel } from '../chat/channel.js';
import type { Config } from '../config.js';
import type { Connectors } from '../connectors/types.js';
import type { InvestigationResult, ExpertRunner } from '../investigation/types.js';
import type { Runbook } from '../knowledge/runbooks.js';
import type { Approval, Execution, Verification } from '../model/remediation.js';
import type { Incident } from '../model/incident.js';
import type { Report } from '../model/report.js';
import type { DataSourcesNote } from '../report/markdown.js';
import type { Executor } from '../remediation/executors/types.js';
import type { RollbackResult } from '../remediation/rollback.js';
import type { ScriptWriter } from '../remediation/script-writer.js';
import type { IncidentStore } from '../storage/types.js';
import type { AnyWorkflow } from '@mastra/core/workflows';
import type { SessionLimits } from './sessions.js';
import type { Citation, KnowledgeLookup } from '../knowledge/citations.js';

/** Time as the copilot sees it: the wall clock in production, the simulated clock in the scenario world. */
export interface Clock {
  now(): number;
  /** lets time pass before recovery is verified */
  wait(minutes: number): Promise<void>;
}

export interface CopilotDeps {
  config: Config;
  store: IncidentStore;
  connectors: Connectors;
  experts: ExpertRunner[];
  channel: ChatChannel;
  executor: Executor;
  runbooks: Runbook[];
  clock: Clock;
  /** who wrote the text people read */
  author: string;
  /** an LLM that explains the diagnosis, when one is configured */
  narrator?: Narrator | null;
  /** who drafts a bash script when no registered action fits (default: the built-in templates) */
  scriptWriters?: ScriptWriter[];
  /** who may approve plans proposed here (default: config.approvers) */
  approvers?: string[];
  /**
   * Group membership the chat platform can vouch for: whether `actor` belongs to one of the listed approver groups
   * (Slack user groups, Discord roles). Plain user ids in the list need no lookup.
   */
  isInApproverGroup?: (actor: string, approvers: string[]) => Promise<boolean>;
  /**
   * The incident lifecycle workflow (mastra/lifecycle.ts) registered on the runtime's Mastra, with its storage: runs
   * survive a restart.
   * Without it (a copilot assembled by hand) the copilot registers the workflow on a Mastra of its own, in memory.
   */
  lifecycle?: AnyWorkflow;
  /** which sources gave each signal and which failed, for the report (real sources; the scenario world has them all) */
  dataSources?: () => DataSourcesNote | null;
  /**
   * Cluster mode (REDIS_URL): hands an opened incident's investigation to the job queue, which a worker process runs;
   * without it the copilot investigates in this process.
   */
  dispatch?: (incident: Incident) => Promise<void>;
  /** the knowledge base (opened on first use): cited in every diagnosis, taught by every resolved incident */
  knowledge?: () => Promise<KnowledgeLookup | null>;
  /** how many incident sessions stay in memory (default DEFAULT_SESSION_LIMITS, sessions.ts) */
  sessionLimits?: SessionLimits;
}

export interface IncidentSession {
  /** the lifecycle workflow run that carries this incident (its approval step waits on the plan) */
  runId?: string;
  incident: Incident;
  result: InvestigationResult;
  report: Report;
  /** the decision that settled the plan (the last approval of a high-risk plan, or a rejection) */
  approval: Approval | null;
  /** approvals given before the plan was settled (a high-risk plan's first of two) */
  approvals?: Approval[];
  execution: Execution | null;
  /** set once an approver ran the rollback offered after a failed step */
  rollback?: RollbackResult;
  verification: Verification | null;
  fixedAtMs?: number;
  explanation?: { text: string; author: string };
  /** what the knowledge base cited for the diagnosis */
  citations?: Citation[];
}

/** One decision on a plan, as an approval step is resumed with it. */
export interface DecisionRequest {
  actor: string;
  decision: 'approved' | 'rejected';
}

/** What the approval gate made of a decision: the plan settled (approved or rejected), or it still waits. */
export type GateOutcome = { settled: true; approval: Approval; coApprovals: Approval[] } | { settled: false; approvals: Approval[]; refused?: string };

export type ActionOutcome = { ok: true; session: IncidentSession } | { ok: false; error: string };

/** A signal's outcome: investigated here, or (cluster mode) opened and handed to the queue for a worker. */
export type SignalOutcome = ActionOutcome | { ok: true; queued: Incident };
