import type { AuditEvent } from '../model/remediation.js';
import { redactDeep } from '../redaction/redact.js';
import type { IncidentStore, RecordKind } from './types.js';

/**
 * A store that redacts before anything reaches disk: every string of a record, and an audit event's detail, go
 * through redactDeep, so tokens, keys, passwords, emails and phone numbers quoted from alerts, logs or chat are never
 * written raw. Reads pass through: what comes back is what was written, already redacted.
 *
 * An audit event keeps who acted, on which incident and plan, and when, verbatim: those are identities the log exists
 * to record (and restore.ts counts distinct approvers by actor). A stored plan whose text held a secret no longer
 * matches its hash after a restart, so it cannot be approved from storage: it needs a new proposal.
 */
export function redactingStore(inner: IncidentStore): IncidentStore {
  const overrides: Pick<IncidentStore, 'put' | 'appendAudit'> = {
    put: (incidentId: string, kind: RecordKind, data: unknown) => inner.put(incidentId, kind, redactDeep(data)),
    appendAudit: (event: AuditEvent) => inner.appendAudit(redactAuditEvent(event)),
  };
  // A Proxy rather than a list of delegating methods: whatever else a backend offers (listAudit, verifyAudit, …)
  // passes through unchanged, and only the two write paths are wrapped.
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put' || prop === 'appendAudit') return overrides[prop];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function redactAuditEvent(event: AuditEvent): AuditEvent {
  const { type, incidentId, planId, planHash, actor, at } = event;
  return { ...redactDeep(event), type, incidentId, actor, at, ...(planId !== undefined ? { planId } : {}), ...(planHash !== undefined ? { planHash } : {}) };
}
