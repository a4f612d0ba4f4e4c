import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/registry.js';
import { testConfig } from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/sre-copilot', import.meta.url));

describe('serve checks the audit trail at start', () => {
  it('warns loudly, naming the first broken record, when a record was rewritten behind the store', async () => {
    const { home } = await testConfig();
    const store = await openStore('libsql', home);
    for (const actor of ['sre-copilot', 'alice', 'alice']) {
      await store.appendAudit({ type: actor === 'sre-copilot' ? 'proposed' : 'approved', incidentId: 'INC-1', planId: 'plan-1', planHash: 'a'.repeat(64), actor, at: 1, detail: 'plan' });
    }
    await store.close();
    const db = createClient({ url: `file:${path.join(home, 'sre-copilot.db')}` });
    await db.execute('DROP TRIGGER IF EXISTS audit_no_update');
    await db.execute(`UPDATE audit SET actor = 'mallory', json = replace(json, '"alice"', '"mallory"') WHERE seq = 2`);
    db.close();

    // console mode with no input: serve starts, checks, and stops at the end of its (empty) input
    const child = spawn(BIN, ['serve'], { env: { ...process.env, SRE_COPILOT_HOME: home, PORT: '0', HOST: '127.0.0.1', LLM_PROVIDER: 'none' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/WARNING: THE AUDIT LOG HAS BEEN TAMPERED WITH — record 2 \(INC-1, approved\): hash mismatch/);
  });
});
