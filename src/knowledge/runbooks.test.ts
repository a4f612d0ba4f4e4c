import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../model/evidence.js';
import { loadRunbooks, runbooksFor } from './runbooks.js';

describe('bundled runbooks', () => {
  it('cover every fault kind the planner can name', async () => {
    const all = await loadRunbooks();
    for (const kind of FAULT_KINDS) expect(runbooksFor(all, kind).length, kind).toBeGreaterThan(0);
    expect(runbooksFor(all, 'bad_deploy', 'rb-cache-outage').map((r) => r.id)).toEqual(['rb-cache-outage', 'rb-bad-deploy']);
  });
});
