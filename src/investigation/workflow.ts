import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';
import type { Connectors } from '../connectors/types.js';
import { FindingSchema, HypothesisSchema, ReflectionSchema } from '../model/evidence.js';
import { IncidentSchema } from '../model/incident.js';
import { RemediationPlanSchema } from '../model/remediation.js';
import type { Cmdb } from '../model/telemetry.js';
import { buildGraph } from '../rca/graph.js';
import { rankHypotheses } from '../rca/rank.js';
import { reflect } from '../rca/reflect.js';
import type { Runbook } from '../knowledge/runbooks.js';
import { proposeRemediation } from '../remediation/propose.js';
import type { ScriptWriter } from '../remediation/script-writer.js';
import type { ExpertOutcome, ExpertRunner, InvestigationListener } from './types.js';
import { investigationWindows } from './windows.js';

export interface WorkflowDeps {
  connectors: Connectors;
  experts: ExpertRunner[];
  approvers: string[];
  now: () => number;
  listener?: InvestigationListener;
  /** runbooks whose typed remediation steps the planner follows */
  runbooks?: Runbook[];
  /** who drafts a script when no registered action fits (default: the built-in templates) */
  scriptWriters?: ScriptWriter[];
}

const WindowSchema = z.object({ fromMs: z.number(), toMs: z.number() });
const OutcomeSchema = z.object({
  expert: z.string(),
  name: z.string(),
  findings: z.array(FindingSchema),
  error: z.string().optional(),
  elapsedMs: z.number(),
});
const RankedSchema = z.object({
  findings: z.array(FindingSchema),
  ranked: z.array(HypothesisSchema),
  reflection: ReflectionSchema,
  outcomes: z.array(OutcomeSchema),
});

/**
 * The investigation as a Mastra workflow: triage → experts in parallel → correlate and rank on the topology →
 * reflection → remediation plan. Every step is deterministic; an LLM, when configured, only narrates afterwards.
 */
export function createInvestigationWorkflow(deps: WorkflowDeps) {
  let cmdb: Cmdb | null = null; // read once per run in triage; the CMDB is too large to thread through every step

  const triage = createStep({
    id: 'triage',
    inputSchema: z.object({ incident: IncidentSchema }),
    outputSchema: z.object({ incident: IncidentSchema, baseline: WindowSchema, window: WindowSchema, alerted: z.array(z.string()) }),
    execute: async ({ inputData }) => {
      cmdb = await deps.connectors.cmdb.snapshot();
      const { incident } = inputData;
      const { baseline, window } = investigationWindows(incident.window.toMs);
      const known = new Set([...cmdb.services.map((s) => s.name), 'business']);
      return { incident, baseline, window, alerted: incident.services.filter((s) => known.has(s)) };
    },
  });

  const expertSteps = deps.experts.map((expert) =>
    createStep({
      id: `expert-${expert.id}`,
      inputSchema: triage.outputSchema,
      outputSchema: OutcomeSchema,
      execute: async ({ inputData }) => {
        await deps.listener?.onExpertStart?.(expert);
        const started = performance.now();
        let outcome: ExpertOutcome;
        try {
          const findings = await expert.analyze({ connectors: deps.connectors, cmdb: cmdb!, baseline: inputData.baseline, window: inputData.window });
          outcome = { expert: expert.id, name: expert.name, findings, elapsedMs: performance.now() - started };
        } catch (err) {
          // A dead data source costs this expert's view, not the investigation.
          outcome = { expert: expert.id, name: expert.name, findings: [], error: (err as Error).message, elapsedMs: performance.now() - started };
        }
        await deps.listener?.onExpertDone?.(outcome);
        return outcome;
      },
    }),
  );

  const rank = createStep({
    id: 'rank',
    inputSchema: z.record(z.string(), OutcomeSchema),
    outputSchema: RankedSchema,
    execute: async ({ inputData, getStepResult }) => {
      const { alerted } = getStepResult(triage);
      const outcomes = Object.values(inputData);
      const findings = outcomes.flatMap((o) => o.findings);
      const graph = buildGraph(cmdb!);
      const initial = rankHypotheses({ findings, graph, alerted });
      await deps.listener?.onRanked?.(initial);
      const { ranked, reflection } = reflect({ ranked: initial, findings, graph, alerted });
      await deps.listener?.onReflection?.(reflection, ranked);
      return { findings, ranked, reflection, outcomes };
    },
  });

  const plan = createStep({
    id: 'plan',
    inputSchema: RankedSchema,
    outputSchema: RankedSchema.extend({ plan: RemediationPlanSchema.nullable(), planNotes: z.array(z.string()) }),
    execute: async ({ inputData, getStepResult }) => {
      const { incident } = getStepResult(triage);
      const top = inputData.ranked[0];
      if (!top) return { ...inputData, plan: null, planNotes: [] };
      const proposal = await proposeRemediation({
        incident,
        hypothesis: top,
        cmdb: cmdb!,
        approvers: deps.approvers,
        now: deps.now(),
        ...(deps.runbooks ? { runbooks: deps.runbooks } : {}),
        ...(deps.scriptWriters ? { scriptWriters: deps.scriptWriters } : {}),
      });
      return { ...inputData, plan: proposal.plan, planNotes: proposal.notes };
    },
  });

  const workflow = createWorkflow({
    id: 'investigate-incident',
    description: 'Fan an incident out to the expert agents, rank root causes on the topology, check the verdict, plan a fix',
    inputSchema: triage.inputSchema,
    outputSchema: plan.outputSchema,
  })
    .then(triage)
    .parallel(expertSteps as [typeof expertSteps[number], ...typeof expertSteps])
    .then(rank)
    .then(plan)
    .commit();

  return { workflow, cmdbOf: () => cmdb };
}
