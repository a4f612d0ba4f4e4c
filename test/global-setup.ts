import { randomBytes } from 'node:crypto';

/**
 * One id per test run, in the environment every test process inherits: the PostgreSQL schemas the run creates
 * (test/postgres-helpers.ts freshSchema) carry it, and they are all dropped when the run ends.
 */
export async function setup(): Promise<void> {
  process.env['SRE_COPILOT_TEST_RUN'] = randomBytes(3).toString('hex');
}

export async function teardown(): Promise<void> {
  const run = process.env['SRE_COPILOT_TEST_RUN'];
  if (!run) return;
  const { dropRunSchemas, postgresAvailable } = await import('./postgres-helpers.js');
  if (await postgresAvailable()) await dropRunSchemas(run);
}
