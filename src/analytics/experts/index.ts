import type { Expert, Finding } from '../../model/evidence.js';
import { DataSourceError } from '../../connectors/types.js';
import { changesExpert } from './changes.js';
import { kpiExpert } from './kpi.js';
import { logsExpert } from './logs.js';
import { metricsExpert } from './metrics.js';
import { tracesExpert } from './traces.js';
import type { ExpertContext, ExpertFn } from './types.js';

export type { ExpertContext, ExpertFn } from './types.js';
export { changesExpert, topology, type Topology } from './changes.js';
export { kpiExpert, kpiExpectation } from './kpi.js';
export { logsExpert, classifyLogText } from './logs.js';
export { metricsExpert } from './metrics.js';
export { tracesExpert } from './traces.js';
export { finalize, MAX_FINDINGS, MIN_SCORE } from './util.js';

/** The deterministic analyses, one per expert. */
export const EXPERT_ANALYSES: Record<Expert, ExpertFn> = {
  logs: logsExpert,
  metrics: metricsExpert,
  traces: tracesExpert,
  kpi: kpiExpert,
  cmdb: changesExpert,
};

/** Runs every expert; a dead data source becomes an error entry instead of failing the others. */
export async function runExperts(
  ctx: ExpertContext,
  experts: readonly Expert[] = Object.keys(EXPERT_ANALYSES) as Expert[],
): Promise<{ findings: Finding[]; errors: { expert: Expert; error: string }[] }> {
  const results = await Promise.all(
    experts.map(async (e) => {
      try {
        return { e, findings: await EXPERT_ANALYSES[e](ctx) };
      } catch (err) {
        if (err instanceof DataSourceError) return { e, error: err.message };
        throw err;
      }
    }),
  );
  return {
    findings: results.flatMap((r) => r.findings ?? []),
    errors: results.flatMap((r) => (r.error !== undefined ? [{ expert: r.e, error: r.error }] : [])),
  };
}
