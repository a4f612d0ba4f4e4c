import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../model/remediation.js';
import { GENESIS_HASH, canonicalJson, chainHash } from './audit-chain.js';
import { openStore } from './registry.js';
import type { AuditVerification, IncidentStore } from './types.js';

const event = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  type: n % 2 ? 'proposed' : 'approved',
  incidentId: `INC-${n}`,
  planId: `plan-${n}`,
  planHash: 'f'.repeat(64),
  actor: n % 2 ? 'sre-copilot' : 'alice',
  at: Date.UTC(2026, 10, 20, 9, n),
  detail: `event ${n}`,
  ...over,
});

/** Statements run on a separate connection to the database file: someone editing it behind the store's back. */
async function tamper(home: string, statements: string[]): Promise<void> {
  const db = createClient({ url: `file:${path.join(home, 'sre-copilot.db')}` });
  try {
    for (const sql of statements) await db.execute(sql);
  } finally {
    db.close();
  }
}

async function row(home: string, seq: number): Promise<{ json: string; prevHash: string; hash: string }> {
  const db = createClient({ url: `file:${path.join(home, 'sre-copilot.db')}` });
  try {
    const r = (await db.execute({ sql: 'SELECT json, prev_hash, hash FROM audit WHERE seq = ?', args: [seq] })).rows[0]!;
    return { json: String(r.json), prevHash: String(r.prev_hash), hash: String(r.hash) };
  } finally {
    db.close();
  }
}

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

function broken(v: AuditVerification) {
  if (v.ok) throw new Error(`expected a broken log, verify said intact with ${v.records} records`);
  return v.firstBroken;
}

describe('canonical JSON and the chain hash', () => {
  it('sorts keys at every level, drops undefined and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 2, y: 'x' }], c: undefined }, e: null })).toBe('{"a":{"d":[1,{"y":"x","z":2}]},"b":1,"e":null}');
  });

  it('hashes the same event the same whatever the key order, and differently for another seq or prevHash', () => {
    const e = event(1);
    const reordered = Object.fromEntries(Object.entries(e).reverse());
    expect(chainHash(1, GENESIS_HASH, e)).toBe(chainHash(1, GENESIS_HASH, reordered));
    expect(chainHash(1, GENESIS_HASH, e)).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(2, GENESIS_HASH, e)).not.toBe(chainHash(1, GENESIS_HASH, e));
    expect(chainHash(1, 'a'.repeat(64), e)).not.toBe(chainHash(1, GENESIS_HASH, e));
  });
});

describe('tamper-evident audit log', () => {
  let home: string;
  let store: IncidentStore;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sre-audit-chain-'));
    store = await openStore('libsql', home);
    for (let n = 1; n <= 5; n++) await store.appendAudit(event(n));
  });
  afterEach(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('chains every record from the genesis value, stamps the wall clock, and keeps the head in a side file', async () => {
    const events = await store.listAudit();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
    for (const e of events) {
      const { seq, hash, prevHash, ...stored } = e;
      expect(chainHash(seq, prevHash!, stored)).toBe(hash);
      expect(e.recordedAt).not.toBe(e.at); // the scenario clock here is 2026; recordedAt is when the test ran
    }
    const verdict = await store.verifyAudit();
    expect(verdict).toEqual({ ok: true, records: 5, head: { seq: 5, hash: events[4]!.hash } });
    expect(JSON.parse(await readFile(path.join(home, 'audit-head.json'), 'utf8'))).toEqual({ seq: 5, hash: events[4]!.hash });
  });

  it('sets recordedAt itself, whatever the caller passes', async () => {
    await store.appendAudit({ ...event(6), recordedAt: 42 });
    expect((await store.listAudit({ incidentId: 'INC-6' }))[0]!.recordedAt).not.toBe(42);
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it('refuses INSERT OR REPLACE on an existing record; with the trigger dropped, the rewritten actor is a hash mismatch', async () => {
    const forged = JSON.stringify({ ...JSON.parse((await row(home, 2)).json), actor: 'mallory' });
    const { prevHash, hash } = await row(home, 2);
    const replace = `INSERT OR REPLACE INTO audit (seq, incident_id, type, actor, at, json, prev_hash, hash)
      VALUES (2, 'INC-2', 'approved', 'mallory', ${event(2).at}, ${sqlText(forged)}, '${prevHash}', '${hash}')`;
    await expect(tamper(home, [replace])).rejects.toThrow(/append-only/);
    expect((await store.verifyAudit()).ok).toBe(true);

    await tamper(home, ['DROP TRIGGER audit_append_only', replace]);
    expect((await store.listAudit({ incidentId: 'INC-2' }))[0]!.actor).toBe('mallory');
    expect(broken(await store.verifyAudit())).toEqual({ seq: 2, incidentId: 'INC-2', type: 'approved', reason: 'hash mismatch' });
  });

  it('reports a middle record removed after DROP TRIGGER as missing', async () => {
    await expect(tamper(home, ['DELETE FROM audit WHERE seq = 3'])).rejects.toThrow(/append-only/);
    await tamper(home, ['DROP TRIGGER audit_no_delete', 'DELETE FROM audit WHERE seq = 3']);
    expect(broken(await store.verifyAudit())).toEqual({ seq: 3, reason: 'missing record 3' });
  });

  it('catches a rewritten record whose own hash was recomputed at the next record', async () => {
    const original = await row(home, 3);
    const forged = { ...JSON.parse(original.json), detail: 'nothing happened' };
    const forgedHash = chainHash(3, original.prevHash, forged);
    await tamper(home, ['DROP TRIGGER audit_no_update', `UPDATE audit SET json = ${sqlText(JSON.stringify(forged))}, hash = '${forgedHash}' WHERE seq = 3`]);
    expect(broken(await store.verifyAudit())).toEqual({ seq: 4, incidentId: 'INC-4', type: 'approved', reason: 'prev hash does not match record 3' });
  });

  it('catches a whole chain recomputed from a rewritten record by the head file', async () => {
    let prevHash = (await row(home, 2)).hash;
    const statements = ['DROP TRIGGER audit_no_update'];
    for (let seq = 3; seq <= 5; seq++) {
      const json = JSON.stringify({ ...JSON.parse((await row(home, seq)).json), actor: 'mallory' });
      const hash = chainHash(seq, prevHash, JSON.parse(json));
      statements.push(`UPDATE audit SET actor = 'mallory', json = ${sqlText(json)}, prev_hash = '${prevHash}', hash = '${hash}' WHERE seq = ${seq}`);
      prevHash = hash;
    }
    await tamper(home, statements);
    const b = broken(await store.verifyAudit());
    expect(b.seq).toBe(5);
    expect(b.reason).toMatch(/^head file says record 5 has hash [0-9a-f]{12}…, the log has [0-9a-f]{12}…$/);
  });

  it('catches the last record deleted by the head file, and never reuses its number', async () => {
    await tamper(home, ['DROP TRIGGER audit_no_delete', 'DELETE FROM audit WHERE seq = 5', `UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit'`]);
    expect(broken(await store.verifyAudit())).toEqual({ seq: 5, reason: 'head file says 5 but the log ends at 4' });

    await store.appendAudit(event(6));
    expect((await store.listAudit()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 6]);
    expect(broken(await store.verifyAudit())).toEqual({ seq: 5, reason: 'missing record 5' });
  });

  it('catches a record moved to another incident through its indexed column', async () => {
    await tamper(home, ['DROP TRIGGER audit_no_update', `UPDATE audit SET incident_id = 'INC-elsewhere' WHERE seq = 4`]);
    expect(await store.listAudit({ incidentId: 'INC-4' })).toEqual([]);
    expect(broken(await store.verifyAudit())).toMatchObject({ seq: 4, reason: 'the incident_id/type/actor/at columns disagree with the hashed record' });
  });

  it('reports a missing head file and records appended around the store', async () => {
    await rm(path.join(home, 'audit-head.json'));
    expect(broken(await store.verifyAudit())).toMatchObject({ seq: 5, reason: 'head file audit-head.json is missing; the log ends at record 5' });
    await store.appendAudit(event(6)); // puts a head file back, for record 6 only
    expect((await store.verifyAudit()).ok).toBe(true);

    const last = await row(home, 6);
    const json = JSON.stringify(event(7));
    await tamper(home, [
      `INSERT INTO audit (seq, incident_id, type, actor, at, json, prev_hash, hash)
       VALUES (7, 'INC-7', 'proposed', 'sre-copilot', ${event(7).at}, ${sqlText(json)}, '${last.hash}', '${chainHash(7, last.hash, JSON.parse(json))}')`,
    ]);
    expect(broken(await store.verifyAudit())).toMatchObject({ seq: 7, incidentId: 'INC-7', reason: expect.stringMatching(/^the log goes on past the head file \(record 6\)/) });
  });

  it('keeps the chain intact under 50 concurrent appends from one store and from two stores on one file', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendAudit(event(100 + i))));
    const verdict = await store.verifyAudit();
    expect(verdict).toMatchObject({ ok: true, records: 55, head: { seq: 55 } });

    const second = await openStore('libsql', home);
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? store : second).appendAudit(event(200 + i))));
      expect(await second.verifyAudit()).toMatchObject({ ok: true, records: 95, head: { seq: 95 } });
    } finally {
      await second.close();
    }
    expect(new Set((await store.listAudit()).map((e) => e.hash)).size).toBe(95);
  });
});

describe('a database from before the chain existed', () => {
  it('is chained once on first open, as found, and verifies from then on', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-audit-legacy-'));
    const legacy = [event(1), event(2), event(3)];
    await tamper(home, [
      `CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL)`,
      `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END`,
      ...legacy.map((e) => `INSERT INTO audit (incident_id, type, actor, at, json) VALUES ('${e.incidentId}', '${e.type}', '${e.actor}', ${e.at}, ${sqlText(JSON.stringify(e))})`),
    ]);
    const store = await openStore('libsql', home);
    try {
      expect(await store.verifyAudit()).toMatchObject({ ok: true, records: 3, head: { seq: 3 } });
      const events = await store.listAudit();
      expect(events.map((e) => e.recordedAt)).toEqual(legacy.map((e) => e.at)); // their only time is the copilot's
      expect(events[0]!.prevHash).toBe(GENESIS_HASH);
      await store.appendAudit(event(4));
      expect(await store.verifyAudit()).toMatchObject({ ok: true, records: 4, head: { seq: 4 } });
      await expect(tamper(home, [`UPDATE audit SET actor = 'x' WHERE seq = 1`])).rejects.toThrow(/append-only/);
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
