import path from 'node:path';
import { createLibsqlStore } from './libsql-store.js';
import { redactingStore } from './redacting-store.js';
import type { IncidentStore } from './types.js';

export interface StoreOptions {
  /** PostgreSQL: DATABASE_URL and the schema its tables live in */
  database?: { url: string; schema?: string };
}

/** Storage backends by name; adding one is one file plus one line here. */
const STORES: Record<string, (home: string, opts: StoreOptions) => Promise<IncidentStore>> = {
  libsql: (home) => createLibsqlStore(path.join(home, 'sre-copilot.db')),
  postgres: async (_home, opts) => {
    if (!opts.database) throw new Error('the postgres storage needs DATABASE_URL (postgres://user:password@host:5432/db)');
    const { createPostgresStore } = await import('./postgres/index.js');
    return createPostgresStore({ url: opts.database.url, ...(opts.database.schema ? { schema: opts.database.schema } : {}) });
  },
};

/** Every backend sits behind the redacting store: nothing reaches disk unredacted, whichever backend it is. */
export async function openStore(kind: string, home: string, opts: StoreOptions = {}): Promise<IncidentStore> {
  const factory = STORES[kind];
  if (!factory) throw new Error(`unknown storage "${kind}"; available: ${Object.keys(STORES).join(', ')}`);
  return redactingStore(await factory(home, opts));
}

/** The store a configuration names: the LibSQL file under its home, or PostgreSQL (DATABASE_URL). */
export function openConfiguredStore(config: { storage: string; home: string; database?: { url: string; schema?: string } }): Promise<IncidentStore> {
  return openStore(config.storage, config.home, config.database ? { database: config.database } : {});
}
