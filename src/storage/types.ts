import type { AuditEvent } from '../model/remediation.js';

/** What is kept per incident; each kind holds one JSON document (the latest write wins). */
export type RecordKind =
  | 'incident'
  | 'findings'
  | 'hypotheses'
  | 'reflection'
  | 'report'
  | 'plan'
  | 'execution'
  | 'verification'
  /** what the knowledge base learned from the incident (shared, so every process's knowledge base finds it) */
  | 'learned';

/** An audit event as the log holds it: numbered, wall-clock stamped by the store, and linked into the hash chain. */
export type StoredAuditEvent = AuditEvent & {
  seq: number;
  /** epoch ms when the store appended it (records from before the chain existed show their `at` here) */
  recordedAt: number;
  /** SHA-256 of {seq, prevHash, event}; null only for a row written around the store */
  hash: string | null;
  prevHash: string | null;
};

/** The last record of the audit log: people record its hash elsewhere to anchor the log. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface BrokenAuditRecord {
  seq: number;
  /** absent when the record itself is missing */
  incidentId?: string;
  type?: string;
  reason: string;
}

export type AuditVerification =
  | { ok: true; records: number; head: AuditHead }
  | { ok: false; records: number; firstBroken: BrokenAuditRecord };

export interface IncidentStore {
  put(incidentId: string, kind: RecordKind, data: unknown): Promise<void>;
  get<T = unknown>(incidentId: string, kind: RecordKind): Promise<T | null>;
  /** incident ids, newest first */
  listIncidents(): Promise<string[]>;
  /** append-only: there is no update or delete; the store sets `recordedAt` and chains the record */
  appendAudit(event: AuditEvent): Promise<void>;
  listAudit(filter?: { incidentId?: string }): Promise<StoredAuditEvent[]>;
  /** checks the whole audit log's hash chain and its head file; names the first record that does not check out */
  verifyAudit(): Promise<AuditVerification>;
  /**
   * Takes `key` for `owner` if nobody has it yet: true for the one caller (in any process sharing the store) that got
   * it, false for every other. One conditional write: idempotency keys, a plan executed exactly once.
   */
  claim(key: string, owner: string): Promise<boolean>;
  /** for stores on a server (PostgreSQL): resolves when it answers, for /readyz */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
