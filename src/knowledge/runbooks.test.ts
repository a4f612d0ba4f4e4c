import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../model/evidence.js';
import { loadRunbooks, runbooksFor, typedRunbookFrom } from './runbooks.js';

describe('bundled runbooks', () => {
  it('cover every fault kind the planner can name', async () => {
    const all = await loadRunbooks();
    for (const kind of FAULT_KINDS) expect(runbooksFor(all, kind).length, kind).toBeGreaterThan(0);
    expect(runbooksFor(all, 'bad_deploy', 'rb-cache-outage').map((r) => r.id)).toEqual(['rb-cache-outage', 'rb-bad-deploy']);
  });
});

describe('runbooks from the knowledge base', () => {
  it('takes a runbook document with an id, fault kinds and typed steps, and nothing else', () => {
    const doc = { source: '/rb/payments.md', kind: 'runbook', title: 'Payments deploy', text: '# Payments deploy', service: 'payment-service', tags: ['bad_deploy', 'tier-0'], meta: { id: 'rb-payments', remediation: [{ action: 'kubectl', params: { verb: 'rollout_undo' } }] } };
    expect(typedRunbookFrom(doc)).toMatchObject({ id: 'rb-payments', faults: ['bad_deploy'], service: 'payment-service', path: '/rb/payments.md', remediation: [{ action: 'kubectl', params: { verb: 'rollout_undo' } }] });
    expect(typedRunbookFrom({ ...doc, meta: { id: 'rb-payments' } })).toBeNull(); // no steps: cited, not followed
    expect(typedRunbookFrom({ ...doc, tags: ['tier-0'] })).toBeNull(); // no fault kind it treats
    expect(typedRunbookFrom({ ...doc, meta: { id: 'x', remediation: [{ action: 'rm -rf /' }] } })).toBeNull(); // not a typed action
    expect(typedRunbookFrom({ ...doc, kind: 'postmortem' })).toBeNull();
  });
});
