import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../model/remediation.js';
import { auditLine, auditRecord } from './audit.js';

const at = Date.UTC(2026, 10, 20, 9, 0);

describe('audit output', () => {
  it('prints JSON records with exactly type, incidentId, actor, at, planHash and detail', () => {
    const types: AuditEvent['type'][] = ['proposed', 'approved', 'refused', 'executed', 'step_failed', 'rolled_back', 'verified'];
    for (const type of types) {
      const r = auditRecord({ type, incidentId: 'INC-1', planId: 'plan-1', planHash: 'a'.repeat(64), actor: 'alice', at, detail: 'd' });
      expect(Object.keys(r).sort()).toEqual(['actor', 'at', 'detail', 'incidentId', 'planHash', 'type']);
      expect(r).toEqual({ type, incidentId: 'INC-1', actor: 'alice', at, planHash: 'a'.repeat(64), detail: 'd' });
    }
    expect(auditRecord({ type: 'refused', incidentId: 'INC-1', actor: 'bob', at, detail: 'no plan' }).planHash).toBeNull();
  });

  it('prints one readable line per event with the short plan hash', () => {
    expect(auditLine({ type: 'rolled_back', incidentId: 'INC-1', planHash: 'abcdef0123456789', actor: 'alice', at, detail: 'rollback step-1: ok' })).toBe(
      '2026-11-20T09:00:00.000Z  INC-1  rolled_back alice          abcdef012345  rollback step-1: ok',
    );
  });
});
