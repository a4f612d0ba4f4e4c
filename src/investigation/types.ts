import type { Expert, Finding, Hypothesis, Reflection } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import type { RemediationPlan } from '../model/remediation.js';
import type { Cmdb, TimeWindow } from '../model/telemetry.js';

import type { ExpertContext } from '../analytics/experts/types.js';
export type { ExpertContext };

/** One expert as the investigation sees it: a name for the thread and a deterministic analysis. */
export interface ExpertRunner {
  id: Expert;
  name: string;
  analyze(ctx: ExpertContext): Promise<Finding[]>;
}

export interface ExpertOutcome {
  expert: Expert;
  name: string;
  findings: Finding[];
  error?: string;
  elapsedMs: number;
}

/** Hooks through which a chat thread follows an investigation as it happens. */
export interface InvestigationListener {
  onExpertStart?(expert: ExpertRunner): void | Promise<void>;
  onExpertDone?(outcome: ExpertOutcome): void | Promise<void>;
  onRanked?(ranked: Hypothesis[]): void | Promise<void>;
  onReflection?(reflection: Reflection, ranked: Hypothesis[]): void | Promise<void>;
}

export interface InvestigationResult {
  incident: Incident;
  cmdb: Cmdb;
  baseline: TimeWindow;
  window: TimeWindow;
  outcomes: ExpertOutcome[];
  findings: Finding[];
  ranked: Hypothesis[];
  reflection: Reflection;
  plan: RemediationPlan | null;
  /** how the plan came about when it is not the runbook's registered actions (a generated script, or no plan) */
  planNotes?: string[];
  /** who did the planning: the deterministic planner, or an LLM provider when one is configured */
  planner: string;
}
