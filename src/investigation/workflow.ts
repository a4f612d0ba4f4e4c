import { createStep } from '@mastra/core/workflows';
import type { RequestContext } from '@mastra/core/request-context';
import { z } from 'zod';
import type { Connectors } from '../connectors/types.js';
import { type Expert, ExpertSchema, FindingSchema, HypothesisSchema, ReflectionSchema } from '../model/evidence.js';
import { IncidentSchema } from '../model/incident.js';
import { RemediationPlanSchema } from '../model/remediation.js';
import { buildGraph } from '../rca/graph.js';
import { rankHypotheses } from '../rca/rank.js';
import { reflect } from '../rca/reflect.js';
import type { Runbook } from '../knowledge/runbooks.js';
import { proposeRemediation } from '../remediation/propose.js';
import type { ScriptWriter } from '../remediation/script-writer.js';
import type { ExpertOutcome, ExpertRunner, InvestigationListener } from './types.js';
import { investigationWindows } from './windows.js';

/**
 * What the investigation's steps read, and who follows them in a chat thread. The workflow is built once per
 * runtime; these arrive with every run (start, resume, restart) from the copilot that drives it.
 */
export interface InvestigationHost {
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
export const TriageSchema = z.object({ incident: IncidentSchema, baseline: WindowSchema, window: WindowSchema, alerted: z.array(z.string()) });
export const OutcomeSchema = z.object({
  expert: ExpertSchema,
  name: z.string(),
  findings: z.array(FindingSchema),
  error: z.string().optional(),
  elapsedMs: z.number(),
});
export const RankedSchema = z.object({ ranked: z.array(HypothesisSchema), reflection: ReflectionSchema });
export const PlannedSchema = z.object({ incidentId: z.string(), plan: RemediationPlanSchema.nullable(), planNotes: z.array(z.string()) });

/** The step ids, which are also the keys of a run's step results in storage. */
export const TRIAGE = 'triage';
export const RANK = 'rank';
export const PLAN = 'plan';
export const expertStepId = (expert: string) => `expert-${expert}`;

/** The findings of every expert, in the order the experts are registered (the parallel step's output order). */
export function findingsOf(outcomes: z.infer<typeof OutcomeSchema>[]) {
  return outcomes.flatMap((o) => o.findings);
}

/**
 * The investigation as Mastra workflow steps: triage → experts in parallel → correlate and rank on the topology
 * with reflection → remediation plan. Every step is deterministic; an LLM, when configured, only narrates
 * afterwards. Each step's output is what storage keeps, so the findings are kept once (in the experts' outputs)
 * and the CMDB, cached by its connector, is read where needed rather than carried from step to step.
 */
export function investigationSteps(experts: readonly { id: Expert; name: string }[], hostOf: (rc: RequestContext) => InvestigationHost) {
  const triage = createStep({
    id: TRIAGE,
    inputSchema: z.object({ incident: IncidentSchema }),
    outputSchema: TriageSchema,
    execute: async ({ inputData, requestContext }) => {
      const cmdb = await hostOf(requestContext).connectors.cmdb.snapshot();
      const { incident } = inputData;
      const { baseline, window } = investigationWindows(incident.window.toMs);
      const known = new Set([...cmdb.services.map((s) => s.name), 'business']);
      return { incident, baseline, window, alerted: incident.services.filter((s) => known.has(s)) };
    },
  });

  const expertSteps = experts.map((expert) =>
    createStep({
      id: expertStepId(expert.id),
      inputSchema: TriageSchema,
      outputSchema: OutcomeSchema,
      execute: async ({ inputData, requestContext }) => {
        const host = hostOf(requestContext);
        const runner = host.experts.find((e) => e.id === expert.id);
        const started = performance.now();
        let outcome: ExpertOutcome;
        if (!runner) return { expert: expert.id, name: expert.name, findings: [], error: 'not available to this copilot', elapsedMs: 0 };
        await host.listener?.onExpertStart?.(runner);
        try {
          const cmdb = await host.connectors.cmdb.snapshot();
          const findings = await runner.analyze({ connectors: host.connectors, cmdb, baseline: inputData.baseline, window: inputData.window });
          outcome = { expert: runner.id, name: runner.name, findings, elapsedMs: performance.now() - started };
        } catch (err) {
          // A dead data source costs this expert's view, not the investigation.
          outcome = { expert: runner.id, name: runner.name, findings: [], error: (err as Error).message, elapsedMs: performance.now() - started };
        }
        await host.listener?.onExpertDone?.(outcome);
        return outcome;
      },
    }),
  );

  const rank = createStep({
    id: RANK,
    inputSchema: z.record(z.string(), OutcomeSchema),
    outputSchema: RankedSchema,
    execute: async ({ inputData, getStepResult, requestContext }) => {
      const host = hostOf(requestContext);
      const { alerted } = getStepResult(triage);
      const findings = findingsOf(Object.values(inputData));
      const graph = buildGraph(await host.connectors.cmdb.snapshot());
      const initial = rankHypotheses({ findings, graph, alerted });
      await host.listener?.onRanked?.(initial);
      const { ranked, reflection } = reflect({ ranked: initial, findings, graph, alerted });
      await host.listener?.onReflection?.(reflection, ranked);
      return { ranked, reflection };
    },
  });

  const plan = createStep({
    id: PLAN,
    inputSchema: RankedSchema,
    outputSchema: PlannedSchema,
    execute: async ({ inputData, getStepResult, requestContext }) => {
      const host = hostOf(requestContext);
      const { incident } = getStepResult(triage);
      const top = inputData.ranked[0];
      if (!top) return { incidentId: incident.id, plan: null, planNotes: [] };
      const proposal = await proposeRemediation({
        incident,
        hypothesis: top,
        cmdb: await host.connectors.cmdb.snapshot(),
        approvers: host.approvers,
        now: host.now(),
        ...(host.runbooks ? { runbooks: host.runbooks } : {}),
        ...(host.scriptWriters ? { scriptWriters: host.scriptWriters } : {}),
      });
      return { incidentId: incident.id, plan: proposal.plan, planNotes: proposal.notes };
    },
  });

  return { triage, expertSteps, rank, plan };
}
