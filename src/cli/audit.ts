import type { Config } from '../config.js';
import type { AuditEvent } from '../model/remediation.js';
import { openStore } from '../storage/registry.js';

/** One audit event as `audit --json` prints it: exactly these keys, `planHash` null for events without a plan. */
export interface AuditRecord {
  type: AuditEvent['type'];
  incidentId: string;
  actor: string;
  /** epoch milliseconds */
  at: number;
  planHash: string | null;
  detail: string;
}

export function auditRecord(e: AuditEvent): AuditRecord {
  return { type: e.type, incidentId: e.incidentId, actor: e.actor, at: e.at, planHash: e.planHash ?? null, detail: e.detail };
}

export function auditLine(e: AuditEvent): string {
  return `${new Date(e.at).toISOString()}  ${e.incidentId}  ${e.type.padEnd(11)} ${e.actor.padEnd(14)} ${e.planHash ? e.planHash.slice(0, 12) : '-'.padEnd(12)}  ${e.detail}`;
}

export async function printAudit(config: Config, opts: { incident?: string; json?: boolean }): Promise<void> {
  const store = await openStore(config.storage, config.home);
  try {
    const events = await store.listAudit(opts.incident ? { incidentId: opts.incident } : {});
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(events.map(auditRecord), null, 2)}\n`);
      return;
    }
    if (events.length === 0) process.stdout.write('The audit log is empty.\n');
    for (const e of events) process.stdout.write(`${auditLine(e)}\n`);
  } finally {
    await store.close();
  }
}
