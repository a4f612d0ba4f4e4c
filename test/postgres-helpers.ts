import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The local PostgreSQL the tests use (.ci/run starts it when it is down): SRE_COPILOT_TEST_DATABASE_URL, default the
 * trust-auth server on 127.0.0.1:5432. Each test gets a schema of its own, dropped afterwards.
 */
export const TEST_DATABASE_URL = process.env['SRE_COPILOT_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** a schema of this test run (test/global-setup.ts drops them all at the end) */
export const freshSchema = () => `t_${process.env['SRE_COPILOT_TEST_RUN'] ?? 'adhoc'}_${randomBytes(5).toString('hex')}`;

/** Drops every schema the run created (its tables and Mastra's `<schema>_mastra`). */
export async function dropRunSchemas(run: string): Promise<void> {
  const rs = await sql(`SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1`, [`t\\_${run}\\_%`]);
  for (const r of rs.rows) await dropSchema(String(r.schema_name));
}

export async function sql(statement: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(statement, params);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
