import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.js';

/**
 * A config with its own fresh home, so tests never share state with each other or with a developer's runs. With
 * SRE_COPILOT_TEST_STORE=postgres (`npm run test:postgres`) every config also gets a fresh schema of the local
 * PostgreSQL, so the same suite runs on the shared store.
 */
export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-test-'));
  const onPostgres = process.env['SRE_COPILOT_TEST_STORE'] === 'postgres' ? await postgresSettings() : {};
  return loadConfig({ SRE_COPILOT_HOME: home, SRE_COPILOT_USER: 'alice', SRE_COPILOT_APPROVERS: 'alice', ...onPostgres, ...overrides });
}

/** DATABASE_URL and a fresh schema on the local test PostgreSQL (test/postgres-helpers.ts). */
export async function postgresSettings(): Promise<Record<string, string>> {
  const { TEST_DATABASE_URL, freshSchema } = await import('./postgres-helpers.js');
  return { DATABASE_URL: TEST_DATABASE_URL, SRE_COPILOT_DB_SCHEMA: freshSchema() };
}

/**
 * A copy of the bundled runbooks in which the bad-deploy rollback is raised to high risk, so that its plan needs two
 * distinct approvers: pass the folder as SRE_COPILOT_RUNBOOKS.
 */
export async function highRiskRunbooks(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-runbooks-'));
  const bundled = path.resolve(import.meta.dirname, '..', 'knowledge', 'runbooks');
  for (const name of await readdir(bundled)) {
    let text = await readFile(path.join(bundled, name), 'utf8');
    if (name === 'rb-bad-deploy.md') text = text.replace('  - action: rollback_deploy\n', '  - action: rollback_deploy\n    risk: high\n');
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** The environment a child process (serve, the CLI) needs to use the same store as `config`: its home and database. */
export function storeEnv(config: Config): Record<string, string> {
  return { SRE_COPILOT_HOME: config.home, ...(config.database ? { DATABASE_URL: config.database.url, SRE_COPILOT_DB_SCHEMA: config.database.schema } : {}) };
}
