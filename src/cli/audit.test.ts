import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../model/remediation.js';
import { openStore } from '../storage/registry.js';
import type { StoredAuditEvent } from '../storage/types.js';
import { auditLine, auditRecord, describeVerification } from './audit.js';

const at = Date.UTC(2026, 10, 20, 9, 0);
const hash = (c: string) => c.repeat(64);

const stored = (e: AuditEvent, over: Partial<StoredAuditEvent> = {}): StoredAuditEvent => ({ ...e, seq: 7, recordedAt: at, hash: hash('1'), prevHash: hash('0'), ...over });

describe('audit output', () => {
  it('prints JSON records with exactly seq, type, incidentId, planId, planHash, actor, time, clockAt, detail, hash and prevHash', () => {
    const types: AuditEvent['type'][] = ['proposed', 'approved', 'rejected', 'refused', 'executed', 'step_failed', 'rolled_back', 'verified'];
    for (const type of types) {
      const r = auditRecord(stored({ type, incidentId: 'INC-1', planId: 'plan-1', planHash: hash('a'), actor: 'alice', at, detail: 'd' }, { recordedAt: at + 3_600_000 }));
      expect(r).toEqual({
        seq: 7,
        type,
        incidentId: 'INC-1',
        planId: 'plan-1',
        planHash: hash('a'),
        actor: 'alice',
        time: '2026-11-20T10:00:00.000Z',
        clockAt: '2026-11-20T09:00:00.000Z',
        detail: 'd',
        hash: hash('1'),
        prevHash: hash('0'),
      });
    }
    const refusal = auditRecord(stored({ type: 'refused', incidentId: 'INC-1', actor: 'bob', at, detail: 'no plan' }));
    expect([refusal.planId, refusal.planHash]).toEqual([null, null]);
  });

  it('prints one readable line per event: number, wall clock, short plan hash, and the copilot clock only when it is elsewhere', () => {
    const e: AuditEvent = { type: 'rolled_back', incidentId: 'INC-1', planHash: 'abcdef0123456789', actor: 'alice', at, detail: 'rollback step-1: ok' };
    expect(auditLine(stored(e, { recordedAt: at + 30_000 }))).toBe('    7  2026-11-20T09:00:30.000Z  INC-1  rolled_back alice          abcdef012345  rollback step-1: ok');
    expect(auditLine(stored(e, { recordedAt: Date.UTC(2027, 0, 5, 12, 0) }))).toBe(
      '    7  2027-01-05T12:00:00.000Z  INC-1  rolled_back alice          abcdef012345  rollback step-1: ok  [copilot clock 2026-11-20T09:00:00.000Z]',
    );
  });

  it('names the first broken record, with its incident and type when the record is there', () => {
    expect(describeVerification({ ok: false, records: 4, firstBroken: { seq: 3, incidentId: 'INC-3', type: 'approved', reason: 'hash mismatch' } })).toBe(
      'Audit log BROKEN at record 3 (INC-3, approved): hash mismatch (4 record(s) in the table)',
    );
    expect(describeVerification({ ok: false, records: 4, firstBroken: { seq: 2, reason: 'missing record 2' } })).toBe('Audit log BROKEN at record 2: missing record 2 (4 record(s) in the table)');
    expect(describeVerification({ ok: true, records: 4, head: { seq: 4, hash: hash('c') } })).toBe(`Audit log intact: 4 record(s); head is record 4, sha256 ${hash('c')}`);
  });
});

describe('bin/sre-copilot audit verify', () => {
  const bin = fileURLToPath(new URL('../../bin/sre-copilot', import.meta.url));
  let home: string;
  const cli = (...args: string[]) => spawnSync(bin, ['audit', ...args], { env: { ...process.env, SRE_COPILOT_HOME: home }, encoding: 'utf8' });

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sre-audit-cli-'));
    const store = await openStore('libsql', home);
    await store.appendAudit({ type: 'proposed', incidentId: 'INC-1', planId: 'plan-1', planHash: hash('a'), actor: 'sre-copilot', at, detail: 'roll back' });
    await store.appendAudit({ type: 'refused', incidentId: 'INC-1', actor: 'mallory', at, detail: 'mallory is not an approver' });
    await store.appendAudit({ type: 'approved', incidentId: 'INC-1', planId: 'plan-1', planHash: hash('a'), actor: 'alice', at, detail: 'roll back' });
    await store.close();
  });
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it('exits 0 on an intact log with the head hash, prints the JSON records, and exits 1 naming the record after tampering', async () => {
    const intact = cli('verify');
    expect(intact.status, intact.stderr).toBe(0);
    const headHash = /head is record 3, sha256 ([0-9a-f]{64})/.exec(intact.stdout)?.[1];
    expect(headHash).toBeDefined();
    expect(cli('verify', '--anchor', headHash!).status).toBe(0);
    expect(cli('verify', '--anchor', hash('9'))).toMatchObject({ status: 1, stderr: expect.stringMatching(/is not in the log/) });

    const listed = cli('--json');
    expect(listed.status, listed.stderr).toBe(0);
    const records = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(records.map((r) => [r.seq, r.type, r.planId, r.clockAt])).toEqual([
      [1, 'proposed', 'plan-1', '2026-11-20T09:00:00.000Z'],
      [2, 'refused', null, '2026-11-20T09:00:00.000Z'],
      [3, 'approved', 'plan-1', '2026-11-20T09:00:00.000Z'],
    ]);
    expect(records[2]!.hash).toBe(headHash);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);

    const db = createClient({ url: `file:${path.join(home, 'sre-copilot.db')}` });
    await db.execute('DROP TRIGGER audit_no_delete');
    await db.execute('DELETE FROM audit WHERE seq = 2');
    db.close();
    const tampered = cli('verify');
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toContain('Audit log BROKEN at record 2: missing record 2');
    expect(JSON.parse(cli('verify', '--json').stdout)).toEqual({ ok: false, records: 2, firstBroken: { seq: 2, reason: 'missing record 2' } });
  });

  it('refuses an unknown action and a malformed anchor with a sentence', () => {
    expect(cli('erase')).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown audit action "erase"') });
    expect(cli('verify', '--anchor', 'abc')).toMatchObject({ status: 2, stderr: expect.stringContaining('--anchor takes the 64-hex-digit head hash') });
  });
});
