import { describe, expect, it } from 'vitest';
import type { MetricSeries } from '../model/telemetry.js';
import { decide } from './approval.js';
import type { Executor } from './executors/types.js';
import { hashPlan, planRemediation } from './planner.js';
import { type PreCheckContext, runPreChecks } from './prechecks.js';
import { runPlan } from './runner.js';
import { T, cmdb, hypothesis, incident } from './test-fixtures.js';

const plan = planRemediation({ incident, hypothesis, cmdb, approvers: ['alice'], now: T });
const step = plan.steps[0]!;
const MIN = 60_000;
const baseline = { fromMs: T - 60 * MIN, toMs: T - 30 * MIN };

/** Every metric at `healthy` in the baseline and at `recent` in the last minutes. */
const metrics = (healthy: number, recent: number | null) => ({
  async query(q: { entity?: string; metric?: string; fromMs: number; toMs: number }): Promise<MetricSeries[]> {
    const points = [];
    for (let ts = T - 60 * MIN; ts <= T; ts += MIN) {
      const value = ts > T - 10 * MIN ? recent : healthy + ((ts / MIN) % 3) * 0.0001;
      if (value !== null && ts >= q.fromMs && ts < q.toMs) points.push({ ts, value });
    }
    return [{ entity: q.entity ?? 'x', metric: q.metric ?? 'm', points }];
  },
});

const executor = (dryRunOk = true): Executor & { ran: string[] } => {
  const ran: string[] = [];
  return {
    name: 'test',
    ran,
    async execute(s, { dryRun }) {
      if (dryRun) return dryRunOk ? { ok: true, output: `[dry-run] would ${s.description}` } : { ok: false, output: 'not allow-listed' };
      ran.push(s.id);
      return { ok: true, output: 'done' };
    },
  };
};

const ctx = (over: Partial<PreCheckContext> = {}): PreCheckContext => ({
  cmdb: async () => cmdb,
  metrics: metrics(0.01, 0.3),
  baseline,
  now: T,
  executor: executor(),
  ...over,
});

describe('pre-checks', () => {
  it('pass while the component exists, still runs the bad version, is still degraded, and the dry run works', async () => {
    const results = await runPreChecks(step, ctx());
    expect(results.map((r) => [r.kind, r.ok])).toEqual([
      ['component_exists', true],
      ['version_still_deployed', true],
      ['still_degraded', true],
      ['dry_run', true],
    ]);
    expect(results[2]!.detail).toMatch(/payment-service error_rate is still off its baseline/);
  });

  it('fail when the component left the CMDB or someone deployed since the plan was made', async () => {
    const moved = { ...cmdb, changes: [...cmdb.changes, { id: 'chg-9', ts: T - MIN, kind: 'deploy' as const, target: 'payment-service', description: 'hotfix', from: '2.4.0', to: '2.4.1', author: 'bob' }] };
    const results = await runPreChecks(step, ctx({ cmdb: async () => moved }));
    expect(results.find((r) => r.kind === 'version_still_deployed')).toMatchObject({ ok: false, detail: expect.stringMatching(/now runs 2.4.1 \(change chg-9\), not 2.4.0/) });
    const gone = await runPreChecks(step, ctx({ cmdb: async () => ({ ...cmdb, services: cmdb.services.filter((s) => s.name !== 'payment-service') }) }));
    expect(gone.find((r) => r.kind === 'component_exists')).toMatchObject({ ok: false, detail: 'payment-service is no longer in the CMDB' });
  });

  it('fail when every symptom is back to its baseline, and do not block when there is no telemetry', async () => {
    const recovered = await runPreChecks(step, ctx({ metrics: metrics(0.01, 0.0101) }));
    expect(recovered.find((r) => r.kind === 'still_degraded')).toMatchObject({ ok: false, detail: expect.stringMatching(/back within its baseline/) });
    const silent = await runPreChecks(step, ctx({ metrics: { query: async () => [] } }));
    expect(silent.find((r) => r.kind === 'still_degraded')).toMatchObject({ ok: true, detail: expect.stringMatching(/no telemetry/) });
  });

  it("fail when the executor's dry run fails, and report a check that throws instead of throwing", async () => {
    const results = await runPreChecks(step, ctx({ executor: executor(false), cmdb: () => Promise.reject(new Error('CMDB down')) }));
    expect(results.find((r) => r.kind === 'dry_run')).toMatchObject({ ok: false, detail: expect.stringMatching(/dry run fails: not allow-listed/) });
    expect(results.find((r) => r.kind === 'component_exists')).toMatchObject({ ok: false, detail: 'could not be checked: CMDB down' });
  });

  it('stop the plan before the step when one fails: the step never runs and later steps are skipped', async () => {
    const d = decide(plan, 'alice', 'approved', { previous: null, now: T });
    if (!d.ok) throw new Error(d.reason);
    const exec = executor();
    const execution = await runPlan({
      plan,
      approval: d.approval,
      executor: exec,
      actor: 'alice',
      now: () => T,
      preChecks: (s) => runPreChecks(s, ctx({ metrics: metrics(0.01, 0.0101), executor: exec })),
    });
    expect(exec.ran).toEqual([]);
    expect(execution.status).toBe('failed');
    expect(execution.steps[0]).toMatchObject({ status: 'failed', output: expect.stringMatching(/^pre-check failed, the step did not run: still_degraded/) });
    expect(execution.steps[0]!.preChecks!.filter((c) => !c.ok).map((c) => c.kind)).toEqual(['still_degraded']);
  });

  it('skip the later steps as not needed, rather than fail, when earlier steps already ended the trouble', async () => {
    const { hash: _h, ...content } = plan;
    const twoSteps = { ...content, steps: [step, { ...step, id: 'step-2', action: 'restart_service' as const }] };
    const plan2 = { ...twoSteps, hash: hashPlan(twoSteps) };
    const d = decide(plan2, 'alice', 'approved', { previous: null, now: T });
    if (!d.ok) throw new Error(d.reason);
    const exec = executor();
    // the world heals as soon as step-1 has run
    const execution = await runPlan({
      plan: plan2,
      approval: d.approval,
      executor: exec,
      actor: 'alice',
      now: () => T,
      preChecks: (s) => runPreChecks(s, ctx({ metrics: exec.ran.length > 0 ? metrics(0.01, 0.0101) : metrics(0.01, 0.3), executor: exec })),
    });
    expect(exec.ran).toEqual(['step-1']);
    expect(execution.status).toBe('succeeded');
    expect(execution.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped']);
    expect(execution.steps[1]!.output).toMatch(/^not needed: the trouble is over before step-2/);
  });
});
