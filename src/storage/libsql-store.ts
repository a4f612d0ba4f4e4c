import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { AuditEventSchema, type AuditEvent } from '../model/remediation.js';
import type { IncidentStore, RecordKind } from './types.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS records (
     incident_id TEXT NOT NULL, kind TEXT NOT NULL, json TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (incident_id, kind))`,
  `CREATE TABLE IF NOT EXISTS audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
     at INTEGER NOT NULL, json TEXT NOT NULL)`,
  // The audit log is append-only by construction, not by convention.
  `CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`,
  `CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`,
];

export async function createLibsqlStore(file: string): Promise<IncidentStore> {
  await mkdir(path.dirname(file), { recursive: true });
  const db: Client = createClient({ url: `file:${file}` });
  await db.batch(SCHEMA, 'write');
  return {
    async put(incidentId: string, kind: RecordKind, data: unknown) {
      await db.execute({
        sql: `INSERT INTO records (incident_id, kind, json, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (incident_id, kind) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
        args: [incidentId, kind, JSON.stringify(data), Date.now()],
      });
    },
    async get<T>(incidentId: string, kind: RecordKind) {
      const rs = await db.execute({ sql: 'SELECT json FROM records WHERE incident_id = ? AND kind = ?', args: [incidentId, kind] });
      const row = rs.rows[0];
      return row ? (JSON.parse(String(row.json)) as T) : null;
    },
    async listIncidents() {
      const rs = await db.execute(`SELECT incident_id FROM records WHERE kind = 'incident' ORDER BY updated_at DESC, incident_id DESC`);
      return rs.rows.map((r) => String(r.incident_id));
    },
    async appendAudit(event: AuditEvent) {
      const valid = AuditEventSchema.parse(event);
      await db.execute({
        sql: 'INSERT INTO audit (incident_id, type, actor, at, json) VALUES (?, ?, ?, ?, ?)',
        args: [valid.incidentId, valid.type, valid.actor, valid.at, JSON.stringify(valid)],
      });
    },
    async listAudit(filter = {}) {
      const rs = filter.incidentId
        ? await db.execute({ sql: 'SELECT json FROM audit WHERE incident_id = ? ORDER BY seq', args: [filter.incidentId] })
        : await db.execute('SELECT json FROM audit ORDER BY seq');
      return rs.rows.map((r) => AuditEventSchema.parse(JSON.parse(String(r.json))));
    },
    async close() {
      db.close();
    },
  };
}
