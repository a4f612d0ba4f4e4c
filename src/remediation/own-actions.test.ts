import { describe, expect, it } from 'vitest';
import type { Execution, PlanStep, RemediationPlan } from '../model/remediation.js';
import type { Cmdb } from '../model/telemetry.js';
import type { RecordKind, StoredAuditEvent } from '../storage/types.js';
import { type OwnAction, markOwnActions, ownActions, withOwnActions } from './own-actions.js';
import { T, cmdb } from './test-fixtures.js';

const MIN = 60_000;
const step = (id: string, over: Partial<PlanStep>): PlanStep => ({
  id, action: 'rollback_deploy', target: 'payment-service', params: {}, description: id, risk: 'medium', preChecks: [], verification: [], ...over,
});
const rollback = step('step-1', { params: { fromVersion: '2.4.0', toVersion: '2.3.9' }, description: 'Roll back payment-service from 2.4.0 to 2.3.9' });
const restart = step('step-2', { action: 'kubectl', target: 'api-gateway', params: { verb: 'rollout_restart' }, description: 'kubectl rollout restart deployment/api-gateway' });
const action = (s: PlanStep, fromMs = T, toMs = T + MIN): OwnAction => ({ incidentId: 'INC-1', planId: 'plan-1', step: s, fromMs, toMs, actor: 'alice' });
// what a real CMDB shows after kubectl ran the rollback: one more deploy, by whoever the CD system says
const afterRollback: Cmdb = {
  ...cmdb,
  changes: [...cmdb.changes, { id: 'chg-8', ts: T + 40_000, kind: 'deploy', target: 'payment-service', description: 'deploy', from: '2.4.0', to: '2.3.9', author: 'argocd' }],
};

describe('markOwnActions', () => {
  it('marks the deploy a rollback step left as that remediation, and adds a step that left no trace', () => {
    const marked = markOwnActions(afterRollback, [action(rollback), action(restart)]);
    expect(marked.changes.find((c) => c.id === 'chg-8')).toMatchObject({ origin: 'remediation', incidentId: 'INC-1', planId: 'plan-1', author: 'argocd' });
    expect(marked.changes.find((c) => c.id === 'chg-7')?.origin).toBeUndefined();
    expect(marked.changes.find((c) => c.id === 'plan-1/step-2')).toEqual({
      id: 'plan-1/step-2', ts: T, kind: 'operation', target: 'api-gateway', description: 'kubectl rollout restart deployment/api-gateway',
      author: 'sre-copilot (approved by alice)', origin: 'remediation', incidentId: 'INC-1', planId: 'plan-1',
    });
    expect(afterRollback.changes.every((c) => c.origin === undefined)).toBe(true); // the snapshot itself is left alone
  });

  it('does not claim a deploy made long before or after the plan ran; it records the rollback it remembers instead', () => {
    const marked = markOwnActions(afterRollback, [action(rollback, T + 30 * MIN, T + 31 * MIN)]);
    expect(marked.changes.find((c) => c.id === 'chg-8')?.origin).toBeUndefined();
    expect(marked.changes.find((c) => c.id === 'plan-1/step-1')).toMatchObject({ kind: 'deploy', from: '2.4.0', to: '2.3.9', origin: 'remediation', ts: T + 30 * MIN });
  });
});

describe('ownActions and withOwnActions', () => {
  const plan: RemediationPlan = {
    id: 'plan-1', incidentId: 'INC-1', hypothesisId: 'h-1', title: 'fix', steps: [rollback, restart], risk: 'medium', approvers: ['alice'], verification: [], createdAt: T, hash: 'x',
  };
  const execution: Execution = {
    planId: 'plan-1', actor: 'alice', startedAt: T, finishedAt: T + MIN, status: 'failed',
    steps: [{ stepId: 'step-1', status: 'succeeded', output: 'ok' }, { stepId: 'step-2', status: 'failed', output: 'denied' }],
  };
  const audit = (type: StoredAuditEvent['type'], incidentId: string): StoredAuditEvent => ({
    type, incidentId, planId: 'plan-1', actor: 'alice', at: T + MIN, detail: '', seq: 1, recordedAt: 0, hash: null, prevHash: null,
  });
  const store = (records: Record<string, Partial<Record<RecordKind, unknown>>>, events: StoredAuditEvent[]) => ({
    listAudit: async () => events,
    get: async <T,>(incidentId: string, kind: RecordKind) => (records[incidentId]?.[kind] ?? null) as T | null,
  });

  it('remembers the steps that succeeded, from the audit log and the stored plan and execution', async () => {
    const s = store({ 'INC-1': { plan, execution } }, [audit('proposed', 'INC-1'), audit('executed', 'INC-1'), audit('step_failed', 'INC-1')]);
    expect((await ownActions(s)).map((a) => [a.incidentId, a.step.id, a.fromMs, a.toMs, a.actor])).toEqual([['INC-1', 'step-1', T, T + MIN, 'alice']]);
    const source = withOwnActions({ snapshot: async () => structuredClone(afterRollback) }, s);
    expect((await source.snapshot()).changes.find((c) => c.id === 'chg-8')).toMatchObject({ origin: 'remediation', incidentId: 'INC-1' });
  });

  it('ignores incidents whose execution belongs to another plan or whose records do not parse', async () => {
    const s = store(
      { 'INC-1': { plan, execution: { ...execution, planId: 'plan-0' } }, 'INC-2': { plan: { nonsense: true }, execution } },
      [audit('executed', 'INC-1'), audit('executed', 'INC-2')],
    );
    expect(await ownActions(s)).toEqual([]);
  });
});
