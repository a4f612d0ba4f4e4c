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
  | 'verification';

export interface IncidentStore {
  put(incidentId: string, kind: RecordKind, data: unknown): Promise<void>;
  get<T = unknown>(incidentId: string, kind: RecordKind): Promise<T | null>;
  /** incident ids, newest first */
  listIncidents(): Promise<string[]>;
  /** append-only: there is no update or delete */
  appendAudit(event: AuditEvent): Promise<void>;
  listAudit(filter?: { incidentId?: string }): Promise<AuditEvent[]>;
  close(): Promise<void>;
}
