import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { AuditEvent } from '../src/model/remediation.js';
import { createPostgresStore } from '../src/storage/postgres/index.js';
import { LATEST_VERSION, migrate } from '../src/storage/postgres/migrations.js';
import { openStore } from '../src/storage/registry.js';
import type { IncidentStore } from '../src/storage/types.js';
import { TEST_DATABASE_URL, dropSchema, freshSchema, postgresAvailable, sql } from './postgres-helpers.js';

/**
 * What the PostgreSQL store adds to the contract every backend keeps (store-contract.test.ts): the database itself
 * refuses edits of the audit log, secrets are redacted before they reach it, appends from two stores (two processes'
 * pools) interleaved keep one unbroken chain, edits behind its back are found, migrations run from an empty database
 * and from the previous schema version, and a database newer than the code is refused.
 */
const available = await postgresAvailable();
if (!available) console.warn(`PostgreSQL store tests skipped: nothing answers at ${TEST_DATABASE_URL}`);

const event = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  type: n % 2 ? 'proposed' : 'approved',
  incidentId: `INC-${n % 3}`,
  planId: `plan-${n}`,
  planHash: 'f'.repeat(64),
  actor: n % 2 ? 'sre-copilot' : 'alice',
  at: Date.UTC(2026, 10, 20, 9, n % 60),
  detail: `event ${n}`,
  ...over,
});

describe.skipIf(!available)('PostgreSQL incident store', () => {
  const schemas: string[] = [];
  const stores: IncidentStore[] = [];
  const open = async (schema = freshSchema()) => {
    if (!schemas.includes(schema)) schemas.push(schema);
    const store = await openStore('postgres', os.tmpdir(), { database: { url: TEST_DATABASE_URL, schema } });
    stores.push(store);
    return { store, schema };
  };
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    for (const schema of schemas) await dropSchema(schema);
  });

  it('refuses edits of the audit log in the database itself', async () => {
    const { store, schema } = await open();
    await store.appendAudit(event(1));
    await store.appendAudit(event(2));
    await expect(sql(`UPDATE "${schema}".audit SET actor = 'mallory' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(sql(`DELETE FROM "${schema}".audit WHERE seq = 2`)).rejects.toThrow(/append-only/);
    expect(await store.verifyAudit()).toMatchObject({ ok: true, records: 2 });
  });

  it('redacts secrets before they reach the database', async () => {
    const { store, schema } = await open();
    await store.put('inc-9', 'incident', { note: 'token xoxb-123456789012-abcdefghijkl leaked' });
    const raw = await sql(`SELECT json FROM "${schema}".records WHERE incident_id = 'inc-9'`);
    expect(String(raw.rows[0].json)).not.toMatch(/xoxb-123456789012/);
  });

  it('keeps one unbroken chain when two processes append at once', async () => {
    const { store: a, schema } = await open();
    const { store: b } = await open(schema);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendAudit(event(i + 1))));
    const verdict = await a.verifyAudit();
    expect(verdict).toMatchObject({ ok: true, records: 40, head: { seq: 40 } });
    expect((await b.listAudit()).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('finds a record rewritten behind its back, and one removed', async () => {
    const { store, schema } = await open();
    for (let i = 1; i <= 4; i++) await store.appendAudit(event(i));
    // someone with the database's owner rights disables the guard and rewrites who approved
    await sql(`ALTER TABLE "${schema}".audit DISABLE TRIGGER audit_no_update`);
    await sql(`UPDATE "${schema}".audit SET json = replace(json, '"alice"', '"mallory"') WHERE seq = 2`);
    expect(await store.verifyAudit()).toMatchObject({ ok: false, firstBroken: { seq: 2 } });
    await sql(`DELETE FROM "${schema}".audit WHERE seq = 4`);
    const verdict = await store.verifyAudit();
    expect(verdict.ok).toBe(false);
  });

  it('migrates an empty database and one at the previous version, and refuses one newer than the code', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL });
    try {
      const client = await pool.connect();
      try {
        expect(await migrate(client, schema, LATEST_VERSION - 1)).toEqual(Array.from({ length: LATEST_VERSION - 1 }, (_, i) => i + 1));
        await client.query(`INSERT INTO "${schema}".records (incident_id, kind, json, updated_at) VALUES ('old', 'incident', '{"id":"old"}', 1)`);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
    // the previous version's data is kept, the missing migration is applied at start
    const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    stores.push(store);
    expect(await store.get('old', 'incident')).toEqual({ id: 'old' });
    expect(await store.claim('k', 'me')).toBe(true);
    const versions = await sql(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(versions.rows.map((r) => Number(r.version))).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    // a second start applies nothing
    const again = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    stores.push(again);
    expect((await sql(`SELECT count(*) AS n FROM "${schema}".schema_migrations`)).rows[0].n).toBe(String(LATEST_VERSION));
    await sql(`INSERT INTO "${schema}".schema_migrations (version, description) VALUES (999, 'from the future')`);
    await expect(createPostgresStore({ url: TEST_DATABASE_URL, schema })).rejects.toThrow(/version 999, newer than this SRE-Copilot knows/);
  });

  it('says which server it could not reach, without the password', async () => {
    await expect(createPostgresStore({ url: 'postgres://sre:s3cret@127.0.0.1:1/none' })).rejects.toThrow(/PostgreSQL at postgres:\/\/sre:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
  });
});
