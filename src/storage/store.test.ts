import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from './registry.js';

describe('libsql incident store', () => {
  it('keeps records per incident and an append-only audit log across reopen', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-store-'));
    const store = await openStore('libsql', home);
    await store.put('inc-1', 'incident', { id: 'inc-1', title: 'first' });
    await store.put('inc-1', 'incident', { id: 'inc-1', title: 'renamed' });
    await store.appendAudit({ type: 'proposed', incidentId: 'inc-1', actor: 'sre-copilot', at: 1, detail: 'plan p1', planHash: 'abc' });
    await store.appendAudit({ type: 'approved', incidentId: 'inc-1', actor: 'alice', at: 2, detail: 'plan p1', planHash: 'abc' });
    await store.close();

    const reopened = await openStore('libsql', home);
    expect(await reopened.get('inc-1', 'incident')).toEqual({ id: 'inc-1', title: 'renamed' });
    expect(await reopened.get('inc-1', 'plan')).toBeNull();
    expect(await reopened.listIncidents()).toEqual(['inc-1']);
    expect((await reopened.listAudit({ incidentId: 'inc-1' })).map((e) => [e.seq, e.type])).toEqual([[1, 'proposed'], [2, 'approved']]);
    expect(await reopened.verifyAudit()).toMatchObject({ ok: true, records: 2, head: { seq: 2 } });
    await expect(reopened.appendAudit({ type: 'nonsense', incidentId: 'x', actor: 'a', at: 1, detail: '' } as never)).rejects.toThrow();
    await reopened.close();
  });

  it('lets exactly one claim of a key win, also across two stores on one file', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sre-store-'));
    const [a, b] = [await openStore('libsql', home), await openStore('libsql', home)];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claim('execute:plan-1', `p${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.claim('execute:plan-2', 'p0')).toBe(true);
    await a.close();
    await b.close();
  });

  it('refuses an unknown backend by name', async () => {
    await expect(openStore('mongo', os.tmpdir())).rejects.toThrow(/unknown storage "mongo"; available: libsql/);
  });
});
