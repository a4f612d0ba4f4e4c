import { median } from '../analytics/robust.js';
import type { PlanStep, PreCheck, PreCheckResult } from '../model/remediation.js';
import type { Cmdb, TimeWindow } from '../model/telemetry.js';
import { formatNumber as fmt } from '../report/labels.js';
import type { Executor } from './executors/types.js';
import { type MetricsReader, baselineNoise, readValues } from './verify.js';

export interface PreCheckContext {
  cmdb(): Promise<Cmdb>;
  metrics: MetricsReader;
  /** the healthy window the investigation compared against */
  baseline: TimeWindow;
  now: number;
  executor: Executor;
}

/** How far back "now" reaches when judging whether a metric is still off its baseline. */
const RECENT_MS = 5 * 60_000;

/**
 * Runs a step's pre-checks right before the step, on fresh reads (CMDB, metrics, the executor's dry run). All of them
 * run, so the thread shows every reason at once; any failure means the step must not run.
 */
export async function runPreChecks(step: PlanStep, ctx: PreCheckContext): Promise<PreCheckResult[]> {
  const results: PreCheckResult[] = [];
  for (const check of step.preChecks) {
    try {
      results.push({ kind: check.kind, ...(await evaluate(check, step, ctx)) });
    } catch (err) {
      results.push({ kind: check.kind, ok: false, detail: `could not be checked: ${(err as Error).message}` });
    }
  }
  return results;
}

async function evaluate(check: PreCheck, step: PlanStep, ctx: PreCheckContext): Promise<{ ok: boolean; detail: string }> {
  switch (check.kind) {
    case 'component_exists': {
      const cmdb = await ctx.cmdb();
      const found = cmdb.services.some((s) => s.name === check.component);
      return { ok: found, detail: found ? `${check.component} is in the CMDB` : `${check.component} is no longer in the CMDB` };
    }
    case 'version_still_deployed': {
      const cmdb = await ctx.cmdb();
      const last = cmdb.changes.filter((c) => c.kind === 'deploy' && c.target === check.component).sort((a, b) => b.ts - a.ts)[0];
      const current = last?.to ?? cmdb.services.find((s) => s.name === check.component)?.version;
      if (current === undefined || current === check.version) return { ok: true, detail: `${check.component} still runs ${check.version}` };
      return { ok: false, detail: `${check.component} now runs ${current}${last ? ` (change ${last.id})` : ''}, not ${check.version}; the plan is out of date` };
    }
    case 'still_degraded':
      return stillDegraded(check.targets, ctx);
    case 'dry_run': {
      const outcome = await ctx.executor.execute(step, { dryRun: true });
      return { ok: outcome.ok, detail: outcome.ok ? `the ${ctx.executor.name} executor can run it` : `the ${ctx.executor.name} executor's dry run fails: ${outcome.output}` };
    }
  }
}

async function stillDegraded(targets: { entity: string; metric: string }[], ctx: PreCheckContext): Promise<{ ok: boolean; detail: string }> {
  const read = (entity: string, metric: string, w: TimeWindow) => readValues(ctx.metrics, entity, metric, w);
  let judged = 0;
  const normal: string[] = [];
  for (const { entity, metric } of targets) {
    const [base, recent] = await Promise.all([read(entity, metric, ctx.baseline), read(entity, metric, { fromMs: ctx.now - RECENT_MS, toMs: ctx.now + 60_000 })]);
    if (base.length === 0 || recent.length === 0) continue;
    judged++;
    const baseline = median(base);
    const now = median(recent);
    if (Math.abs(now - baseline) > baselineNoise(base, baseline)) {
      return { ok: true, detail: `${entity} ${metric} is still off its baseline (${fmt(now)} vs ${fmt(baseline)})` };
    }
    normal.push(`${entity} ${metric} ${fmt(now)}`);
  }
  if (judged === 0) return { ok: true, detail: 'no telemetry to judge the symptoms by; not blocking' };
  return { ok: false, detail: `every symptom is back within its baseline (${normal.join(', ')}); the trouble looks over, so the step is not run` };
}

