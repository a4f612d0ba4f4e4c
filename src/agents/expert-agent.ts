import { Agent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import { z } from 'zod';
import type { Connectors } from '../connectors/types.js';
import { FindingSchema, type Expert, type Finding } from '../model/evidence.js';
import type { ExpertContext, ExpertRunner } from '../investigation/types.js';
import type { ModelChoice } from './model.js';

/** One expert: a Mastra agent whose single tool is a deterministic analysis, callable with or without an LLM. */
export interface ExpertSpec {
  id: Expert;
  name: string;
  description: string;
  instructions: string;
  analyze: (ctx: ExpertContext) => Promise<Finding[]>;
}

const AnalyzeInputSchema = z.object({
  baselineFromMs: z.number().describe('start of the healthy baseline, epoch ms'),
  baselineToMs: z.number().describe('end of the healthy baseline, epoch ms'),
  fromMs: z.number().describe('start of the incident window, epoch ms'),
  toMs: z.number().describe('end of the incident window, epoch ms'),
});

export interface BuiltExpert {
  agent: Agent;
  tool: ReturnType<typeof createAnalysisTool>;
  runner: ExpertRunner;
}

function createAnalysisTool(spec: ExpertSpec, connectors: Connectors) {
  return createTool({
    id: `${spec.id}-analyze`,
    description: spec.description,
    inputSchema: AnalyzeInputSchema,
    outputSchema: z.object({ findings: z.array(FindingSchema) }),
    execute: async (input) => {
      const cmdb = await connectors.cmdb.snapshot();
      const findings = await spec.analyze({
        connectors,
        cmdb,
        baseline: { fromMs: input.baselineFromMs, toMs: input.baselineToMs },
        window: { fromMs: input.fromMs, toMs: input.toMs },
      });
      return { findings };
    },
  });
}

export function buildExpert(spec: ExpertSpec, connectors: Connectors, model: ModelChoice): BuiltExpert {
  const tool = createAnalysisTool(spec, connectors);
  const agent = new Agent({
    id: `${spec.id}-agent`,
    name: spec.name,
    description: spec.description,
    instructions: spec.instructions,
    model: model.agentModel,
    tools: { [tool.id]: tool },
  });
  const runner: ExpertRunner = {
    id: spec.id,
    name: spec.name,
    // The deterministic planner calls the agent's tool directly: the same analysis an LLM would call.
    analyze: async (ctx) => {
      const out = await tool.execute!(
        { baselineFromMs: ctx.baseline.fromMs, baselineToMs: ctx.baseline.toMs, fromMs: ctx.window.fromMs, toMs: ctx.window.toMs },
        {} as never,
      );
      if (!out || 'error' in out) throw new Error(`${spec.name}: ${(out as { message?: string } | undefined)?.message ?? 'no result'}`);
      return out.findings;
    },
  };
  return { agent, tool, runner };
}
