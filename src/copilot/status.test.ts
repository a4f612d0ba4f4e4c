import { describe, expect, it } from 'vitest';
import type { Execution } from '../model/remediation.js';
import type { IncidentSession } from './types.js';
import { remediationStage } from './status.js';

const plan = { risk: 'high', approvers: ['alice', 'bob'] };
const session = (over: Partial<IncidentSession>): IncidentSession =>
  ({ result: { plan }, approval: null, approvals: [], execution: null, verification: null, ...over }) as unknown as IncidentSession;
const execution = (steps: Execution['steps']): Execution => ({ planId: 'p', actor: 'bob', startedAt: 0, finishedAt: 1, status: steps.some((s) => s.status === 'failed') ? 'failed' : 'succeeded', steps });

describe('remediationStage', () => {
  it('follows a plan from proposal to verification, rollback included', () => {
    expect(remediationStage(session({}))).toBe('plan proposed, awaiting approval from alice or bob');
    const first = { planId: 'p', planHash: 'h', actor: 'alice', decision: 'approved' as const, at: 0 };
    expect(remediationStage(session({ approvals: [first] }))).toBe('plan approved by alice; a high-risk plan needs another, different approver');
    const blocked = execution([{ stepId: 'step-1', status: 'failed', output: 'pre-check failed', preChecks: [{ kind: 'dry_run', ok: false, detail: 'no' }] }]);
    expect(remediationStage(session({ execution: blocked }))).toBe('fix stopped at step-1 (a pre-check failed); rollback offered');
    const broke = execution([{ stepId: 'step-1', status: 'succeeded', output: '' }, { stepId: 'step-2', status: 'failed', output: 'boom' }]);
    expect(remediationStage(session({ execution: broke }))).toBe('fix stopped at step-2 (the step failed); rollback offered');
    const ran = execution([{ stepId: 'step-1', status: 'succeeded', output: '' }]);
    expect(remediationStage(session({ execution: ran, verification: { planId: 'p', checkedAt: 0, recovered: false, checks: [] } }))).toMatch(/has not recovered; rollback offered/);
    expect(remediationStage(session({ execution: ran, rollback: { planId: 'p', actor: 'bob', at: 0, status: 'succeeded', steps: [] } }))).toBe('fix rolled back by bob (succeeded)');
  });
});
