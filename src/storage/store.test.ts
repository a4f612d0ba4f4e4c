import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { openStore } from './registry.js';

describe('storage registry', () => {
  it('refuses an unknown backend by name', async () => {
    await expect(openStore('mongo', os.tmpdir())).rejects.toThrow(/unknown storage "mongo"; available: libsql/);
  });
});
