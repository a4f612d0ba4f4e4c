import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { FaultKind } from '../model/evidence.js';
import type { ActionKind } from '../model/remediation.js';
import { createWorld, listScenarios } from './index.js';
import { svc } from './topology.js';
import { max, mean, readLog, readMetrics, seriesOf, sum, values } from './testkit.js';
import type { ScenarioDef } from './types.js';
import { parseCmdbYaml } from '../connectors/files/cmdb.js';

const root = mkdtempSync(join(tmpdir(), 'world-fix-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `w${n++}`);
const MIN = 60_000;

/** the target's signature series and whether it is healthy, given its baseline */
const SIGNATURE: Record<FaultKind, (t: string) => { entity: string; metric: string; healthy: (xs: number[], base: number) => boolean }> = {
  cpu_saturation: (t) => ({ entity: t, metric: 'cpu_util', healthy: (xs, b) => mean(xs) < Math.max(60, 1.3 * b) }),
  memory_leak: (t) => ({ entity: t, metric: 'mem_rss_mb', healthy: (xs) => max(xs) < 0.6 * svc(t).memLimitMb }),
  disk_full: (t) => ({ entity: svc(t).host ?? '', metric: 'disk_util', healthy: (xs) => max(xs) < 90 }),
  network_latency: (t) => ({ entity: t.split('->')[0] ?? '', metric: 'latency_p95_ms', healthy: (xs, b) => mean(xs) < 1.4 * b }),
  db_connection_exhaustion: () => ({ entity: 'postgres-main', metric: 'pool_utilization', healthy: (xs) => max(xs) < 0.5 }),
  bad_deploy: (t) => ({ entity: t, metric: 'error_rate', healthy: (xs) => mean(xs) < 0.03 }),
  config_change: (t) => ({ entity: t, metric: 'error_rate', healthy: (xs) => mean(xs) < 0.05 }),
  third_party_timeout: () => ({ entity: 'payment-service', metric: 'error_rate', healthy: (xs) => mean(xs) < 0.03 }),
  cache_outage: () => ({ entity: 'redis-cache', metric: 'hit_rate', healthy: (xs) => Math.min(...xs) > 0.85 }),
};

/** a valid action that a hurried operator might try, which does not end the fault */
const WRONG: Record<FaultKind, (t: string) => [ActionKind, string]> = {
  cpu_saturation: (t) => ['restart_service', t],
  memory_leak: (t) => ['scale_out', t],
  disk_full: (t) => ['restart_service', t],
  network_latency: (t) => ['restart_service', t.split('->')[1] ?? ''],
  db_connection_exhaustion: () => ['restart_service', 'postgres-main'],
  bad_deploy: (t) => ['restart_service', t],
  config_change: (t) => ['restart_service', t],
  third_party_timeout: () => ['restart_service', 'payment-service'],
  cache_outage: () => ['restart_service', 'user-service'],
};

async function run(def: ScenarioDef, mode: 'fix' | 'wrong', seed = 11) {
  const dir = freshDir();
  const w = createWorld({ scenario: def.name, seed, dir });
  await w.start();
  const at = w.now();
  const fix = w.groundTruth.fixedBy[0];
  const [action, target] = mode === 'fix' && fix ? [fix.action, fix.target] : WRONG[def.fault.kind](def.fault.target);
  const res = w.applyAction(action, target, {});
  await w.advance(10);
  const sig = SIGNATURE[def.fault.kind](def.fault.target);
  const s = seriesOf(readMetrics(dir));
  const base = mean(values(s, sig.entity, sig.metric, w.groundTruth.onsetMs - 30 * MIN, w.groundTruth.onsetMs));
  const late = values(s, sig.entity, sig.metric, at + 4 * MIN, at + 10 * MIN);
  return { w, res, dir, at, healthy: sig.healthy(late, base), late, base };
}

describe.each(listScenarios().map((s) => [s.name, s] as const))('remediation of %s', (_name, def) => {
  it('the fixing action recovers the target; a wrong one does not', async () => {
    const fixed = await run(def, 'fix');
    expect(fixed.res).toMatchObject({ ok: true, fixed: true });
    expect(fixed.w.now()).toBe(fixed.at + 10 * MIN);
    expect(fixed.healthy, `late=${fixed.late.join(',')} base=${fixed.base}`).toBe(true);
    const wrong = await run(def, 'wrong');
    expect(wrong.res.ok, wrong.res.output).toBe(true);
    expect(wrong.res.fixed).toBe(false);
    expect(wrong.healthy, `late=${wrong.late.join(',')} base=${wrong.base}`).toBe(false);
  });
});

describe('actions', () => {
  it('validates targets and applicability', async () => {
    const w = createWorld({ scenario: 'cache-outage', seed: 3, dir: freshDir() });
    expect(w.applyAction('restart_service', 'redis-cache', {}).ok).toBe(false); // not started
    await w.start();
    const unknown = w.applyAction('restart_service', 'flux-capacitor', {});
    expect(unknown.ok).toBe(false);
    expect(unknown.output).toContain('unknown target');
    expect(w.applyAction('rollback_deploy', 'kafka', {})).toMatchObject({ ok: false, fixed: false });
    expect(w.applyAction('revert_config', 'cart-service', {}).ok).toBe(false);
    expect(w.applyAction('kill_slow_queries', 'cart-service', {}).ok).toBe(false);
    expect(w.applyAction('free_disk', 'bank-gateway', {}).ok).toBe(false);
    expect(w.applyAction('failover', 'cart-service', {}).ok).toBe(false);
    expect(w.applyAction('failover', 'cart-service->bank-gateway', {}).ok).toBe(false);
    expect(w.applyAction('scale_out', 'postgres-main', {}).ok).toBe(false);
    const flush = w.applyAction('clear_cache', 'redis-cache', {});
    expect(flush.ok).toBe(false);
    expect(flush.output).toContain('connection refused');
    expect(w.applyAction('enable_circuit_breaker', 'web-frontend->cart-service', {})).toMatchObject({ ok: true, fixed: false });
    expect(w.applyAction('restart_service', 'redis-cache', {})).toMatchObject({ ok: true, fixed: true });
  });

  it('a rollback is recorded as a remediation deploy change and fixes a bad deploy', async () => {
    const dir = freshDir();
    const w = createWorld({ scenario: 'bad-deploy-payment', seed: 5, dir });
    await w.start();
    const before = parseYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')) as { services: { name: string; version: string }[]; changes: { kind: string; target: string; from: string; to: string; origin?: string }[] };
    expect(before.changes.filter((c) => c.origin !== undefined)).toEqual([]);
    const bad = before.changes.filter((c) => c.kind === 'deploy' && c.target === 'payment-service').pop();
    expect(before.services.find((s) => s.name === 'payment-service')?.version).toBe(bad?.to);
    const res = w.applyAction('rollback_deploy', 'payment-service', { actor: 'alice' });
    expect(res).toMatchObject({ ok: true, fixed: true });
    await w.advance(5);
    const after = parseYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')) as typeof before;
    const rb = after.changes.filter((c) => c.kind === 'deploy' && c.target === 'payment-service').pop();
    expect(rb).toMatchObject({ from: bad?.to, to: bad?.from, origin: 'remediation', author: 'alice' });
    expect(after.services.find((s) => s.name === 'payment-service')?.version).toBe(bad?.from);
    // a second rollback has the previous version again, a different healthy service has nothing to roll back
    expect(w.applyAction('rollback_deploy', 'shipping-service', {}).fixed).toBe(false);
  });

  it('records every executed action as a remediation change, and nothing for a refused one', async () => {
    const dir = freshDir();
    const w = createWorld({ scenario: 'cache-outage', seed: 4, dir });
    await w.start();
    const at = w.now();
    expect(w.applyAction('restart_service', 'flux-capacitor', {}).ok).toBe(false);
    expect(w.applyAction('scale_out', 'cart-service', {}).ok).toBe(true);
    expect(w.applyAction('restart_service', 'cart-service', {}).ok).toBe(true);
    expect(w.applyAction('restart_service', 'redis-cache', {}).fixed).toBe(true);
    await w.advance(2);
    const cmdb = parseCmdbYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')).value;
    const own = cmdb.changes.filter((c) => c.origin === 'remediation');
    expect(own.map((c) => [c.kind, c.target, c.ts, c.author])).toEqual([
      ['operation', 'cart-service', at + 5_000, 'sre-copilot'],
      ['operation', 'cart-service', at + 5_000, 'sre-copilot'],
      ['operation', 'redis-cache', at + 5_000, 'sre-copilot'],
    ]);
    expect(own.map((c) => c.description)).toEqual([
      expect.stringMatching(/^Scaled cart-service from 3 to 6 replicas$/),
      expect.stringMatching(/^Restarted cart-service at \d\d:\d\dZ/),
      expect.stringMatching(/^Restarted redis-cache at /),
    ]);
    // two actions on one target in one minute are two changes
    expect(new Set(own.map((c) => c.id)).size).toBe(3);
  });

  it('a restarted memory leak does not run out of memory again within 20 minutes', async () => {
    const dir = freshDir();
    const w = createWorld({ scenario: 'memory-leak-user', seed: 9, dir });
    await w.start();
    const at = w.now();
    expect(w.applyAction('restart_service', 'user-service', {}).fixed).toBe(true);
    await w.advance(25);
    const s = seriesOf(readMetrics(dir));
    expect(sum(values(s, 'user-service', 'restarts', at, at + MIN))).toBe(1);
    expect(sum(values(s, 'user-service', 'restarts', at + MIN, at + 25 * MIN))).toBe(0);
    expect(max(values(s, 'user-service', 'mem_rss_mb', at, at + 25 * MIN))).toBeLessThan(0.7 * svc('user-service').memLimitMb);
    const ooms = readLog(dir, 'user-service').filter((l) => l.includes('OutOfMemoryError') && Date.parse(`${l.slice(0, 10)}T${l.slice(11, 19)}Z`) >= at);
    expect(ooms).toEqual([]);
  });

  it('a restart of a cpu-saturated service helps only briefly', async () => {
    const dir = freshDir();
    const w = createWorld({ scenario: 'cpu-saturation-catalog', seed: 2, dir });
    await w.start();
    const at = w.now();
    w.applyAction('restart_service', 'catalog-service', {});
    await w.advance(8);
    const cpu = values(seriesOf(readMetrics(dir)), 'catalog-service', 'cpu_util', at, at + 8 * MIN);
    expect(Math.min(...cpu.slice(0, 2))).toBeLessThan(80);
    expect(mean(cpu.slice(3))).toBeGreaterThan(90);
  });
});
