import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testConfig } from './helpers.js';

const run = promisify(execFile);
const BIN = new URL('../bin/sre-copilot', import.meta.url).pathname;

async function cli(args: string[], home: string) {
  try {
    const { stdout, stderr } = await run(BIN, args, { env: { ...process.env, SRE_COPILOT_HOME: home, SRE_COPILOT_USER: 'alice' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bin/sre-copilot', () => {
  it('rejects an unknown scenario with a sentence naming the valid ones, not a stack trace', async () => {
    const { home } = await testConfig();
    const r = await cli(['demo', '--scenario', 'no-such-thing', '--json'], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scenario "no-such-thing"; choose one of: all, /);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('prints one JSON document with the scores for --json', async () => {
    const { home } = await testConfig();
    const r = await cli(['demo', '--scenario', 'cache-outage', '--seed', '11', '--yes', '--json'], home);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ n: 1 });
    expect(doc.scenarios[0]).toMatchObject({ name: 'cache-outage', fault: { kind: 'cache_outage', target: 'redis-cache' }, fixed: true, recovered: true });
    expect(doc.scenarios[0].topCauses[0]).toEqual({ target: 'redis-cache', kind: 'cache_outage', score: expect.any(Number) });
    const audit = JSON.parse((await cli(['audit', '--json'], home)).stdout);
    expect(audit.map((e: { type: string }) => e.type)).toEqual(['proposed', 'approved', 'executed', 'verified']);
  });

  it('--dry-run shows what the fix would do, executes nothing, and records only the proposal', async () => {
    const { home } = await testConfig();
    const r = await cli(['demo', '--scenario', 'memory-leak-cart', '--seed', '4', '--dry-run'], home);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Dry run with the scenario executor \(nothing was executed\):\n.*step-1: \[dry-run\] would run: Rolling restart of cart-service/);
    expect(r.stdout).toMatch(/fixed 0 %[\s\S]*Dry run only: nothing was executed/);
    const audit = JSON.parse((await cli(['audit', '--json'], home)).stdout);
    expect(audit.map((e: { type: string }) => e.type)).toEqual(['proposed']);
    expect((await cli(['demo', '--dry-run', '--yes'], home)).stderr).toMatch(/--dry-run and --yes exclude each other/);
  });
});
