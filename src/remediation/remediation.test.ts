import { describe, expect, it } from 'vitest';
import type { MetricSeries } from '../model/telemetry.js';
import { decide } from './approval.js';
import type { Executor } from './executors/types.js';
import { planRemediation } from './planner.js';
import { NotApprovedError, runPlan } from './runner.js';
import { verifyRecovery } from './verify.js';

import { T, cmdb, hypothesis, incident } from './test-fixtures.js';

const plan = planRemediation({ incident, hypothesis, cmdb, approvers: ['alice'], now: T });

const recordingExecutor = (fail: string[] = []): Executor & { ran: string[] } => {
  const ran: string[] = [];
  return {
    name: 'test',
    ran,
    async execute(step) {
      ran.push(step.id);
      return fail.includes(step.id) ? { ok: false, output: 'boom' } : { ok: true, output: 'done' };
    },
  };
};

describe('remediation planner', () => {
  it('rolls a bad deploy back to the version before it, with the runbook and verification metrics', () => {
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({ action: 'rollback_deploy', target: 'payment-service', params: { toVersion: '2.3.9', fromVersion: '2.4.0' } });
    expect(plan.risk).toBe('medium');
    expect(plan.runbook).toBe('rb-bad-deploy');
    expect(plan.verification.map((v) => `${v.entity}/${v.metric}`)).toEqual(
      expect.arrayContaining(['payment-service/error_rate', 'api-gateway/error_rate', 'api-gateway/latency_p95_ms']),
    );
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('approval and execution', () => {
  it('refuses a non-approver and executes nothing', async () => {
    const d = decide(plan, 'mallory', 'approved', { previous: null, now: T });
    expect(d).toEqual({ ok: false, reason: expect.stringMatching(/mallory may not approve/) });
    const exec = recordingExecutor();
    await expect(runPlan({ plan, approval: null, executor: exec, actor: 'mallory', now: () => T })).rejects.toThrow(NotApprovedError);
    expect(exec.ran).toEqual([]);
  });

  it('refuses a plan edited after it was proposed or approved', async () => {
    const tampered = { ...plan, steps: [{ ...plan.steps[0]!, target: 'api-gateway' }] };
    expect(decide(tampered, 'alice', 'approved', { previous: null, now: T })).toMatchObject({ ok: false, reason: expect.stringMatching(/changed/) });
    const d = decide(plan, 'alice', 'approved', { previous: null, now: T });
    if (!d.ok) throw new Error(d.reason);
    const exec = recordingExecutor();
    await expect(runPlan({ plan: tampered, approval: d.approval, executor: exec, actor: 'alice', now: () => T })).rejects.toThrow(/changed after it was approved/);
    expect(exec.ran).toEqual([]);
  });

  it('lets a plan be decided only once', () => {
    const first = decide(plan, 'alice', 'approved', { previous: null, now: T });
    if (!first.ok) throw new Error(first.reason);
    expect(decide(plan, 'alice', 'approved', { previous: first.approval, now: T + 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/already approved by alice/) });
  });

  it('stops at the first failing step and skips the rest', async () => {
    const twoSteps = planRemediation({ incident, hypothesis, cmdb, approvers: ['alice'], now: T });
    const withSecond = { ...twoSteps, steps: [...twoSteps.steps, { ...twoSteps.steps[0]!, id: 'step-2' }] };
    const { hash: _old, ...content } = withSecond;
    const { hashPlan } = await import('./planner.js');
    const rehashed = { ...withSecond, hash: hashPlan(content) };
    const d = decide(rehashed, 'alice', 'approved', { previous: null, now: T });
    if (!d.ok) throw new Error(d.reason);
    const exec = recordingExecutor(['step-1']);
    const execution = await runPlan({ plan: rehashed, approval: d.approval, executor: exec, actor: 'alice', now: () => T });
    expect(execution.status).toBe('failed');
    expect(execution.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
    expect(exec.ran).toEqual(['step-1']);
  });
});

describe('verifyRecovery', () => {
  const series = (values: number[]): MetricSeries => ({ entity: 'x', metric: 'm', points: values.map((value, i) => ({ ts: T + i * 60_000, value })) });
  const source = (values: number[]) => ({
    async query(q: { fromMs: number; toMs: number }) {
      const s = series(values);
      return [{ ...s, points: s.points.filter((p) => p.ts >= q.fromMs && p.ts < q.toMs) }];
    },
  });
  const single = { ...plan, verification: [{ entity: 'x', metric: 'm', recoverWithinMinutes: 10 }] };
  const windows = { baseline: { fromMs: T, toMs: T + 10 * 60_000 }, during: { fromMs: T + 10 * 60_000, toMs: T + 15 * 60_000 }, after: { fromMs: T + 15 * 60_000, toMs: T + 20 * 60_000 } };

  it('reports recovery when the metric is back at its baseline', async () => {
    const values = [...Array(10).fill(0.01), ...Array(5).fill(0.3), ...Array(5).fill(0.012)];
    const v = await verifyRecovery({ plan: single, metrics: source(values), ...windows, now: T });
    expect(v.recovered).toBe(true);
    expect(v.checks[0]).toMatchObject({ baseline: 0.01, during: 0.3, recovered: true });
  });

  it('counts overshooting to the good side of the baseline as recovery', async () => {
    const values = [...Array(10).fill(40), ...Array(5).fill(95), ...Array(5).fill(22)];
    const v = await verifyRecovery({ plan: single, metrics: source(values), ...windows, now: T });
    expect(v.recovered).toBe(true);
  });

  it("judges each step on its own targets, and the plan on all of them", async () => {
    const byMetric = {
      async query(q: { metric?: string; fromMs: number; toMs: number }) {
        const values = q.metric === 'fixed' ? [...Array(10).fill(0.01), ...Array(5).fill(0.3), ...Array(5).fill(0.01)] : [...Array(10).fill(0.01), ...Array(5).fill(0.3), ...Array(5).fill(0.28)];
        const s = series(values);
        return [{ ...s, points: s.points.filter((p) => p.ts >= q.fromMs && p.ts < q.toMs) }];
      },
    };
    const target = (metric: string) => ({ entity: 'x', metric, recoverWithinMinutes: 10 });
    const twoSteps = {
      ...plan,
      verification: [],
      steps: [
        { ...plan.steps[0]!, id: 'step-1', verification: [target('fixed')] },
        { ...plan.steps[0]!, id: 'step-2', verification: [target('still-bad')] },
      ],
    };
    const v = await verifyRecovery({ plan: twoSteps, metrics: byMetric, ...windows, now: T });
    expect(v.steps!.map((s) => [s.stepId, s.recovered])).toEqual([
      ['step-1', true],
      ['step-2', false],
    ]);
    expect(v.recovered).toBe(false);
  });

  it('reports no recovery when the metric stays bad', async () => {
    const values = [...Array(10).fill(0.01), ...Array(5).fill(0.3), ...Array(5).fill(0.25)];
    const v = await verifyRecovery({ plan: single, metrics: source(values), ...windows, now: T });
    expect(v.recovered).toBe(false);
  });
});

describe('approval policy', () => {
  const rehash = async (p: typeof plan) => {
    const { hashPlan } = await import('./planner.js');
    const { hash: _old, ...content } = p;
    return { ...p, hash: hashPlan(content) };
  };

  it('needs two distinct approvers for a high-risk plan; the same person twice is refused', async () => {
    const high = await rehash({ ...plan, risk: 'high', approvers: ['alice', 'bob'] });
    const first = decide(high, 'alice', 'approved', { previous: null, pending: [], now: T });
    if (!first.ok) throw new Error(first.reason);
    expect(first.complete).toBe(false);
    expect(decide(high, 'alice', 'approved', { previous: null, pending: [first.approval], now: T + 1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/alice already approved.*2 distinct approvers/),
    });
    const exec = recordingExecutor();
    await expect(runPlan({ plan: high, approval: first.approval, executor: exec, actor: 'alice', now: () => T })).rejects.toThrow(/2 distinct approvers; it has 1/);
    await expect(
      runPlan({ plan: high, approval: first.approval, coApprovals: [first.approval], executor: exec, actor: 'alice', now: () => T }),
    ).rejects.toThrow(/it has 1/);
    expect(exec.ran).toEqual([]);
    const second = decide(high, 'bob', 'approved', { previous: null, pending: [first.approval], now: T + 2 });
    if (!second.ok) throw new Error(second.reason);
    expect(second.complete).toBe(true);
    const execution = await runPlan({ plan: high, approval: second.approval, coApprovals: [first.approval], executor: exec, actor: 'bob', now: () => T });
    expect(execution.status).toBe('succeeded');
    expect(exec.ran).toEqual(['step-1']);
  });

  it('medium and low plans settle on one approval', () => {
    const d = decide(plan, 'alice', 'approved', { previous: null, now: T });
    expect(d).toMatchObject({ ok: true, complete: true });
  });

  it('takes the approvers of the plan risk level from the policy, defaulting to the plan approvers', async () => {
    const high = await rehash({ ...plan, risk: 'high' });
    const policy = { approvers: { high: ['carol', 'dave'], medium: [] } };
    expect(decide(high, 'alice', 'approved', { previous: null, now: T, policy })).toMatchObject({ ok: false, reason: expect.stringMatching(/alice may not approve this high-risk plan; approvers: carol, dave/) });
    expect(decide(high, 'carol', 'approved', { previous: null, now: T, policy })).toMatchObject({ ok: true, complete: false });
    expect(decide(plan, 'alice', 'approved', { previous: null, now: T, policy })).toMatchObject({ ok: true, complete: true });
  });

  it('refuses an expired proposal, measured from plan.createdAt on the given clock', () => {
    const policy = { ttlMinutes: 60 };
    expect(decide(plan, 'alice', 'approved', { previous: null, now: plan.createdAt + 59 * 60_000, policy })).toMatchObject({ ok: true });
    expect(decide(plan, 'alice', 'approved', { previous: null, now: plan.createdAt + 61 * 60_000, policy })).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(decide(plan, 'alice', 'approved', { previous: null, now: plan.createdAt + 10_000 * 60_000, policy: { ttlMinutes: 0 } })).toMatchObject({ ok: true });
  });

  it('binds approvals to the plan hash: an approval of the old content does not cover the edited plan', async () => {
    const d = decide(plan, 'alice', 'approved', { previous: null, now: T });
    if (!d.ok) throw new Error(d.reason);
    const edited = await rehash({ ...plan, steps: [{ ...plan.steps[0]!, params: { toVersion: '1.0.0' } }] });
    const exec = recordingExecutor();
    await expect(runPlan({ plan: edited, approval: d.approval, executor: exec, actor: 'alice', now: () => T })).rejects.toThrow(/changed after it was approved/);
    expect(exec.ran).toEqual([]);
  });
});
