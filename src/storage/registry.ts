import path from 'node:path';
import { createLibsqlStore } from './libsql-store.js';
import { redactingStore } from './redacting-store.js';
import type { IncidentStore } from './types.js';

/** Storage backends by name; adding one is one file plus one line here. */
const STORES: Record<string, (home: string) => Promise<IncidentStore>> = {
  libsql: (home) => createLibsqlStore(path.join(home, 'sre-copilot.db')),
};

/** Every backend sits behind the redacting store: nothing reaches disk unredacted, whichever backend it is. */
export async function openStore(kind: string, home: string): Promise<IncidentStore> {
  const factory = STORES[kind];
  if (!factory) throw new Error(`unknown storage "${kind}"; available: ${Object.keys(STORES).join(', ')}`);
  return redactingStore(await factory(home));
}
