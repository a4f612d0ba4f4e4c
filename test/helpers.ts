import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.js';

/** A config with its own fresh home, so tests never share state with each other or with a developer's runs. */
export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-test-'));
  return loadConfig({ SRE_COPILOT_HOME: home, SRE_COPILOT_USER: 'alice', SRE_COPILOT_APPROVERS: 'alice', ...overrides });
}
