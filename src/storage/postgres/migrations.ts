import type { PoolClient } from 'pg';

/**
 * The PostgreSQL schema, as numbered migrations applied in order at start-up. Several processes (serve and its
 * workers) start at once against one database: the whole step runs under a transaction-scoped advisory lock, so one
 * of them migrates and the others find it done. A migration is never edited once released — a change is a new one.
 */
export interface Migration {
  version: number;
  description: string;
  statements: (schema: string) => string[];
}

const q = (schema: string) => `"${schema.replace(/"/g, '""')}"`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'incident records, the append-only audit log and its head',
    statements: (schema) => {
      const s = q(schema);
      return [
        `CREATE TABLE ${s}.records (
           incident_id TEXT NOT NULL, kind TEXT NOT NULL, json TEXT NOT NULL, updated_at BIGINT NOT NULL,
           PRIMARY KEY (incident_id, kind))`,
        `CREATE INDEX records_incidents ON ${s}.records (updated_at DESC, incident_id DESC) WHERE kind = 'incident'`,
        `CREATE TABLE ${s}.audit (
           seq BIGINT PRIMARY KEY, incident_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, at BIGINT NOT NULL,
           json TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
        `CREATE INDEX audit_incident ON ${s}.audit (incident_id, seq)`,
        // the head of the chain, kept apart from the rows (a second place an editor must also change consistently)
        `CREATE TABLE ${s}.audit_head (id SMALLINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
        `CREATE FUNCTION ${s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$`,
        `CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON ${s}.audit FOR EACH ROW EXECUTE FUNCTION ${s}.audit_append_only()`,
        `CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON ${s}.audit FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_append_only()`,
      ];
    },
  },
  {
    version: 2,
    description: 'claims: one process wins a key (an idempotency key, a plan execution)',
    statements: (schema) => [`CREATE TABLE ${q(schema)}.claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, at BIGINT NOT NULL)`],
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;

/** Applies the migrations the database lacks, up to `target`; returns the versions applied now. */
export async function migrate(client: PoolClient, schema: string, target = LATEST_VERSION): Promise<number[]> {
  const s = q(schema);
  await client.query('BEGIN');
  try {
    // one key per schema: processes on other schemas of the same database do not wait for each other
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sre-copilot-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version INT PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map((r) => r.version));
    const newer = [...done].filter((v) => v > LATEST_VERSION);
    if (newer.length > 0) throw new Error(`the database schema "${schema}" is at version ${Math.max(...newer)}, newer than this SRE-Copilot knows (${LATEST_VERSION}): upgrade SRE-Copilot`);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version > target || done.has(m.version)) continue;
      for (const statement of m.statements(schema)) await client.query(statement);
      await client.query(`INSERT INTO ${s}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
