import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/registry.js';
import type { IncidentStore } from '../src/storage/types.js';
import { TEST_DATABASE_URL, dropSchema, freshSchema, postgresAvailable } from './postgres-helpers.js';

/**
 * The incident store's contract, the same for every backend: the LibSQL file and PostgreSQL. A backend opens a
 * place (a folder, a schema) and opens it again — as a restarted process, or a second process sharing it, would.
 */
const pgUp = await postgresAvailable();
if (!pgUp) console.warn(`the store contract on PostgreSQL is skipped: nothing answers at ${TEST_DATABASE_URL}`);

interface Backend {
  name: string;
  skip: boolean;
  newPlace(): Promise<string>;
  open(place: string): Promise<IncidentStore>;
  forget(place: string): Promise<void>;
}

const backends: Backend[] = [
  {
    name: 'libsql',
    skip: false,
    newPlace: () => mkdtemp(path.join(os.tmpdir(), 'sre-store-')),
    open: (home) => openStore('libsql', home),
    forget: async () => undefined,
  },
  {
    name: 'postgres',
    skip: !pgUp,
    newPlace: async () => freshSchema(),
    open: (schema) => openStore('postgres', os.tmpdir(), { database: { url: TEST_DATABASE_URL, schema } }),
    forget: (schema) => dropSchema(schema),
  },
];

describe.each(backends)('$name incident store', (backend) => {
  const places: string[] = [];
  const stores: IncidentStore[] = [];
  const open = async (place: string) => {
    const store = await backend.open(place);
    stores.push(store);
    return store;
  };
  const newPlace = async () => {
    const place = await backend.newPlace();
    places.push(place);
    return place;
  };
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    for (const p of places) await backend.forget(p);
  });

  it.skipIf(backend.skip)('keeps records per incident and an append-only audit log across reopen', async () => {
    const place = await newPlace();
    const store = await open(place);
    await store.put('inc-1', 'incident', { id: 'inc-1', title: 'first' });
    await store.put('inc-1', 'incident', { id: 'inc-1', title: 'renamed' });
    await store.appendAudit({ type: 'proposed', incidentId: 'inc-1', actor: 'sre-copilot', at: 1, detail: 'plan p1', planHash: 'abc' });
    await store.appendAudit({ type: 'approved', incidentId: 'inc-1', actor: 'alice', at: 2, detail: 'plan p1', planHash: 'abc' });
    await store.close();

    const reopened = await open(place);
    expect(await reopened.get('inc-1', 'incident')).toEqual({ id: 'inc-1', title: 'renamed' });
    expect(await reopened.get('inc-1', 'plan')).toBeNull();
    expect(await reopened.listIncidents()).toEqual(['inc-1']);
    expect((await reopened.listAudit({ incidentId: 'inc-1' })).map((e) => [e.seq, e.type])).toEqual([[1, 'proposed'], [2, 'approved']]);
    expect(await reopened.verifyAudit()).toMatchObject({ ok: true, records: 2, head: { seq: 2 } });
    await expect(reopened.appendAudit({ type: 'nonsense', incidentId: 'x', actor: 'a', at: 1, detail: '' } as never)).rejects.toThrow();
  });

  it.skipIf(backend.skip)('lets exactly one of many racers claim a key, across two stores on one place', async () => {
    const place = await newPlace();
    const [a, b] = [await open(place), await open(place)];
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('execute:plan-1:abc', `worker-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.claim('execute:plan-2:abc', 'worker-0')).toBe(true);
  });
});
