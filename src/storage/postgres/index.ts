import pg from 'pg';
import { withoutPassword } from '../../redaction/url.js';
import { AuditEventSchema, type AuditEvent } from '../../model/remediation.js';
import { type AuditRow, GENESIS_HASH, chainHash, toStoredEvent, verifyChain } from '../audit-chain.js';
import type { IncidentStore, RecordKind } from '../types.js';
import { migrate } from './migrations.js';

/**
 * The incident store on PostgreSQL (DATABASE_URL), for several processes — serve and any number of workers — sharing
 * one store. The same contract as the LibSQL file: records per incident, an append-only hash-chained audit log, and
 * claims. Appends from every process are serialised by a row lock on the chain's head (kept in its own table, updated
 * in the same transaction as the row it points at), so the chain has no fork however many processes write.
 */
export interface PostgresStoreOptions {
  url: string;
  /** the schema holding the tables (created when missing); default "sre_copilot" */
  schema?: string;
  /** connections per process */
  maxConnections?: number;
}

export const DEFAULT_PG_SCHEMA = 'sre_copilot';

const AUDIT_COLUMNS = 'seq, incident_id, type, actor, at, json, prev_hash, hash';

interface AuditDbRow {
  seq: string;
  incident_id: string;
  type: string;
  actor: string;
  at: string;
  json: string;
  prev_hash: string;
  hash: string;
}

const toAuditRow = (r: AuditDbRow): AuditRow => ({
  seq: Number(r.seq),
  incidentId: r.incident_id,
  type: r.type,
  actor: r.actor,
  at: Number(r.at),
  json: r.json,
  prevHash: r.prev_hash,
  hash: r.hash,
});


export async function createPostgresStore(opts: PostgresStoreOptions): Promise<IncidentStore> {
  const schema = opts.schema ?? DEFAULT_PG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`the PostgreSQL schema name "${schema}" must be lower-case letters, digits and _`);
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 5 });
  // an idle connection the server dropped must not take the process down
  pool.on('error', () => undefined);
  const t = (table: string) => `"${schema}".${table}`;
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err });
  }

  async function inTransaction<T>(isolation: 'READ COMMITTED' | 'REPEATABLE READ', work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    async put(incidentId: string, kind: RecordKind, data: unknown) {
      await pool.query(
        `INSERT INTO ${t('records')} (incident_id, kind, json, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id, kind) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
        [incidentId, kind, JSON.stringify(data), Date.now()],
      );
    },
    async get<T>(incidentId: string, kind: RecordKind) {
      const rs = await pool.query<{ json: string }>(`SELECT json FROM ${t('records')} WHERE incident_id = $1 AND kind = $2`, [incidentId, kind]);
      return rs.rows[0] ? (JSON.parse(rs.rows[0].json) as T) : null;
    },
    async listIncidents() {
      const rs = await pool.query<{ incident_id: string }>(`SELECT incident_id FROM ${t('records')} WHERE kind = 'incident' ORDER BY updated_at DESC, incident_id DESC`);
      return rs.rows.map((r) => r.incident_id);
    },
    async appendAudit(event: AuditEvent) {
      const { recordedAt: _ignored, ...valid } = AuditEventSchema.parse(event);
      await inTransaction('READ COMMITTED', async (c) => {
        // the head row's lock is the one queue every process's appends wait in
        await c.query(`INSERT INTO ${t('audit_head')} (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING`, [GENESIS_HASH]);
        const head = (await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${t('audit_head')} WHERE id = 1 FOR UPDATE`)).rows[0]!;
        const last = (await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${t('audit')} ORDER BY seq DESC LIMIT 1`)).rows[0];
        // never reuse a number: if rows went missing, the next one leaves a gap that verify reports
        const seq = Math.max(Number(head.seq), Number(last?.seq ?? 0)) + 1;
        const prevHash = last?.hash ?? GENESIS_HASH;
        const recorded: AuditEvent = { ...valid, recordedAt: Date.now() };
        const hash = chainHash(seq, prevHash, recorded);
        await c.query(`INSERT INTO ${t('audit')} (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          seq,
          recorded.incidentId,
          recorded.type,
          recorded.actor,
          recorded.at,
          JSON.stringify(recorded),
          prevHash,
          hash,
        ]);
        await c.query(`UPDATE ${t('audit_head')} SET seq = $1, hash = $2 WHERE id = 1`, [seq, hash]);
      });
    },
    async listAudit(filter = {}) {
      const rs = filter.incidentId
        ? await pool.query<AuditDbRow>(`SELECT ${AUDIT_COLUMNS} FROM ${t('audit')} WHERE incident_id = $1 ORDER BY seq`, [filter.incidentId])
        : await pool.query<AuditDbRow>(`SELECT ${AUDIT_COLUMNS} FROM ${t('audit')} ORDER BY seq`);
      return rs.rows.map((r) => toStoredEvent(toAuditRow(r)));
    },
    async verifyAudit() {
      // one snapshot of the rows and the head: an append committing meanwhile is either wholly in it or not at all
      return inTransaction('REPEATABLE READ', async (c) => {
        const rows = (await c.query<AuditDbRow>(`SELECT ${AUDIT_COLUMNS} FROM ${t('audit')} ORDER BY seq`)).rows.map(toAuditRow);
        const head = (await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${t('audit_head')} WHERE id = 1`)).rows[0];
        return verifyChain(rows, head && Number(head.seq) > 0 ? { kind: 'present', head: { seq: Number(head.seq), hash: head.hash } } : { kind: 'missing' });
      });
    },
    async claim(key: string, owner: string) {
      const rs = await pool.query(`INSERT INTO ${t('claims')} (key, owner, at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, [key, owner, Date.now()]);
      return rs.rowCount === 1;
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

/** The URL without its password, for messages. */
export const redactUrl = (url: string): string => withoutPassword(url, 'the configured DATABASE_URL');
