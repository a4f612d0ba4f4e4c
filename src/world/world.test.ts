import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FAULT_KINDS } from '../model/evidence.js';
import { CmdbSchema } from '../model/telemetry.js';
import { UnknownScenarioError, createWorld, getScenario, listScenarios } from './index.js';
import { SERVICES, svc } from './topology.js';
import { type Series, logTs, max, mean, readLog, readMetrics, readSpans, seriesOf, sum, values } from './testkit.js';
import type { GroundTruth, ScenarioDef } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'world-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `w${n++}`);
const MIN = 60_000;

function hashDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

describe('scenario catalogue', () => {
  it('offers at least 12 scenarios covering every fault kind', () => {
    const all = listScenarios();
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
    expect(new Set(all.map((s) => s.fault.kind))).toEqual(new Set(FAULT_KINDS));
    for (const s of all) {
      expect(s.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.description).not.toContain('\n');
      const comps = s.fault.kind === 'network_latency' ? s.fault.target.split('->') : [s.fault.target];
      for (const c of comps) expect(SERVICES.some((x) => x.name === c)).toBe(true);
    }
    expect(getScenario('cache-outage')?.fault).toEqual({ kind: 'cache_outage', target: 'redis-cache' });
    expect(getScenario('nope')).toBeUndefined();
  });

  it('rejects an unknown scenario with the valid names', () => {
    let err: unknown;
    try {
      createWorld({ scenario: 'no-such-thing', seed: 1, dir: freshDir() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownScenarioError);
    expect((err as Error).message).toContain('bad-deploy-payment');
    expect((err as UnknownScenarioError).valid).toContain('cache-outage');
  });
});

describe('determinism', () => {
  it('same scenario and seed give byte-identical files; another seed differs', async () => {
    const dirs = [freshDir(), freshDir(), freshDir()];
    const worlds = [createWorld({ scenario: 'bad-deploy-payment', seed: 42, dir: dirs[0] ?? '' }),
      createWorld({ scenario: 'bad-deploy-payment', seed: 42, dir: dirs[1] ?? '' }),
      createWorld({ scenario: 'bad-deploy-payment', seed: 43, dir: dirs[2] ?? '' })];
    for (const w of worlds) await w.start();
    const [a, b, c] = dirs.map((d) => hashDir(d));
    expect(a?.size).toBeGreaterThan(15);
    expect(b).toEqual(a);
    expect(c?.get('metrics.csv')).not.toBe(a?.get('metrics.csv'));
    expect(c?.get('logs/payment-service.log')).not.toBe(a?.get('logs/payment-service.log'));
    expect(worlds[0]?.groundTruth).toEqual(worlds[1]?.groundTruth);
    expect(JSON.stringify(worlds[0]?.alertPayload())).toBe(JSON.stringify(worlds[1]?.alertPayload()));
    // advancing in different chunks yields the same bytes
    await worlds[0]?.advance(6);
    await worlds[1]?.advance(2);
    await worlds[1]?.advance(4);
    expect(hashDir(dirs[1] ?? '')).toEqual(hashDir(dirs[0] ?? ''));
  });

  it('onset and magnitude vary with the seed', () => {
    const gts = [1, 2, 3, 4, 5, 6].map((seed) => createWorld({ scenario: 'cpu-saturation-catalog', seed, dir: freshDir() }).groundTruth);
    expect(new Set(gts.map((g) => g.onsetMs)).size).toBeGreaterThan(3);
    expect(new Set(gts.map((g) => (g.onsetMs - (g.startMs ?? 0)) / MIN)).size).toBeGreaterThan(1);
    for (const g of gts) {
      const onsetMin = (g.onsetMs - (g.startMs ?? 0)) / MIN;
      expect(onsetMin).toBeGreaterThanOrEqual(55);
      expect(onsetMin).toBeLessThanOrEqual(65);
    }
  });
});

/** fault signature in the target: present after onset, absent before */
function checkSignature(def: ScenarioDef, gt: GroundTruth, s: Series, dir: string): void {
  const on = gt.onsetMs;
  const end = gt.alertMs;
  const before = (e: string, m: string): number[] => values(s, e, m, on - 45 * MIN, on);
  const after = (e: string, m: string, lagMin = 1): number[] => values(s, e, m, on + lagMin * MIN, end);
  const logsAfter = (service: string, needle: string): [number, number] => {
    const lines = readLog(dir, service).filter((l) => l.includes(needle));
    return [lines.filter((l) => logTs(l) < on).length, lines.filter((l) => logTs(l) >= on).length];
  };
  const X = def.fault.target;
  switch (def.fault.kind) {
    case 'cpu_saturation': {
      expect(mean(before(X, 'cpu_util'))).toBeLessThan(60);
      expect(mean(after(X, 'cpu_util', 2))).toBeGreaterThan(90);
      const host = svc(X).host ?? '';
      expect(mean(after(host, 'cpu_util', 2))).toBeGreaterThan(mean(before(host, 'cpu_util')) + 20);
      expect(mean(after(X, 'latency_p95_ms', 2))).toBeGreaterThan(3 * mean(before(X, 'latency_p95_ms')));
      const [pre, post] = logsAfter(X, 'Request processing slow: took');
      expect(pre).toBe(0);
      expect(post).toBeGreaterThan(3);
      break;
    }
    case 'memory_leak': {
      const limit = svc(X).memLimitMb;
      expect(max(before(X, 'mem_rss_mb'))).toBeLessThan(0.5 * limit);
      expect(max(after(X, 'mem_rss_mb', 0))).toBeGreaterThan(0.85 * limit);
      expect(sum(before(X, 'restarts'))).toBe(0);
      expect(sum(after(X, 'restarts', 0))).toBeGreaterThanOrEqual(1);
      const host = svc(X).host ?? '';
      expect(max(after(host, 'mem_util', 0))).toBeGreaterThan(max(before(host, 'mem_util')) + 5);
      expect(logsAfter(X, 'java.lang.OutOfMemoryError: Java heap space')).toEqual([0, expect.any(Number)]);
      expect(logsAfter(X, 'java.lang.OutOfMemoryError: Java heap space')[1]).toBeGreaterThan(0);
      expect(logsAfter(X, 'GC pause')[1]).toBeGreaterThan(2);
      break;
    }
    case 'disk_full': {
      const host = svc(X).host ?? '';
      expect(max(before(host, 'disk_util'))).toBeLessThan(85);
      expect(max(after(host, 'disk_util', 0))).toBeGreaterThanOrEqual(99.9);
      expect(max(after(X, 'error_rate', 0))).toBeGreaterThan(0.2);
      const [pre, post] = logsAfter(X, 'No space left on device');
      expect(pre).toBe(0);
      expect(post).toBeGreaterThan(2);
      break;
    }
    case 'network_latency': {
      const [a = '', b = ''] = X.split('->');
      const hostA = svc(a).host ?? '';
      expect(mean(after(a, 'latency_p95_ms', 2))).toBeGreaterThan(1.5 * mean(before(a, 'latency_p95_ms')));
      expect(mean(after(b, 'latency_p95_ms', 2))).toBeLessThan(1.3 * mean(before(b, 'latency_p95_ms')));
      expect(mean(after(b, 'error_rate', 2))).toBeLessThan(0.02);
      expect(mean(after(hostA, 'net_retransmits', 1))).toBeGreaterThan(5 * mean(before(hostA, 'net_retransmits')));
      expect(logsAfter(a, `Timeout calling ${b} after`)[1]).toBeGreaterThan(2);
      expect(logsAfter(a, `Retrying request to ${b} (attempt`)[1]).toBeGreaterThan(0);
      // traces: the CLIENT span a->b is much longer than its child SERVER span in b, after onset only
      const { spans } = readSpans(dir);
      const byId = new Map(spans.map((sp) => [sp.spanId, sp]));
      const gap = (from: number, to: number): number[] =>
        spans.filter((sp) => sp.kind === 2 && sp.service === b && sp.startMs >= from && sp.startMs < to)
          .map((srv) => {
            const cli = byId.get(srv.parentSpanId);
            return cli && cli.service === a ? cli.endMs - cli.startMs - (srv.endMs - srv.startMs) : Number.NaN;
          }).filter((x) => !Number.isNaN(x) && x >= 0);
      expect(mean(gap(on - 30 * MIN, on))).toBeLessThan(10);
      expect(mean(gap(on + 2 * MIN, end))).toBeGreaterThan(100);
      break;
    }
    case 'db_connection_exhaustion': {
      expect(max(before(X, 'pool_utilization'))).toBeLessThan(0.5);
      expect(max(after(X, 'pool_utilization', 2))).toBeGreaterThanOrEqual(0.99);
      expect(mean(after(X, 'active_connections', 2))).toBeGreaterThan(180);
      expect(mean(after(X, 'slow_queries', 1))).toBeGreaterThan(10 * Math.max(1, mean(before(X, 'slow_queries'))));
      expect(logsAfter('order-service', 'HikariPool-1 - Connection is not available, request timed out after 30000ms')).toEqual([0, expect.any(Number)]);
      expect(logsAfter('payment-service', 'HikariPool-1 - Connection is not available')[1]).toBeGreaterThan(0);
      expect(logsAfter(X, 'statement: ')[1]).toBeGreaterThan(20);
      break;
    }
    case 'bad_deploy': {
      const cmdb = parseYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')) as { changes: { kind: string; target: string; ts: string }[] };
      const deploys = cmdb.changes.filter((c) => c.kind === 'deploy' && c.target === X).map((c) => Date.parse(c.ts));
      expect(deploys.some((t) => t <= on + MIN && t >= on - 3 * MIN)).toBe(true);
      expect(mean(before(X, 'error_rate'))).toBeLessThan(0.02);
      expect(mean(after(X, 'error_rate', 2))).toBeGreaterThan(0.2);
      const needle = X === 'payment-service' ? 'NullPointerException at com.shop.payment' : 'nil pointer dereference';
      const [pre, post] = logsAfter(X, needle);
      expect(pre).toBe(0);
      expect(post).toBeGreaterThan(5);
      break;
    }
    case 'config_change': {
      const cmdb = parseYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')) as { changes: { kind: string; target: string; ts: string; description: string }[] };
      const recent = cmdb.changes.filter((c) => c.target === X && Date.parse(c.ts) >= on - 10 * MIN);
      expect(recent.map((c) => c.kind)).toEqual(['config']);
      expect(recent[0]?.description).toMatch(/^set payment\.client\.timeout\.ms 3000→\d+$/);
      expect(mean(after(X, 'error_rate', 1))).toBeGreaterThan(0.2);
      const [pre, post] = logsAfter(X, '(payment.client.timeout.ms=');
      expect(pre).toBe(0);
      expect(post).toBeGreaterThan(5);
      break;
    }
    case 'third_party_timeout': {
      expect(mean(after('payment-service', 'error_rate', 2))).toBeGreaterThan(0.2);
      expect(mean(after('business', 'payment_success_rate', 2))).toBeLessThan(0.85);
      expect(logsAfter('payment-service', 'Bank gateway timeout after 5000 ms (acquirer=northbank-eu)')).toEqual([0, expect.any(Number)]);
      expect(logsAfter('payment-service', 'Bank gateway timeout after 5000 ms')[1]).toBeGreaterThan(5);
      const { spans } = readSpans(dir);
      const bank = spans.filter((sp) => sp.peer === 'bank-gateway');
      expect(bank.every((sp) => sp.kind === 3 && sp.service === 'payment-service')).toBe(true);
      expect(spans.some((sp) => sp.service === 'bank-gateway')).toBe(false);
      expect(bank.filter((sp) => sp.startMs < on && sp.endMs - sp.startMs >= 4999).length).toBe(0);
      expect(bank.filter((sp) => sp.startMs >= on + MIN && sp.endMs - sp.startMs >= 4999 && sp.error).length).toBeGreaterThanOrEqual(3);
      break;
    }
    case 'cache_outage': {
      expect(max(after(X, 'throughput_rpm', 0))).toBeLessThan(20);
      expect(mean(after(X, 'error_rate', 0))).toBe(1);
      expect(max(after(X, 'hit_rate', 0))).toBe(0);
      expect(mean(before(X, 'hit_rate'))).toBeGreaterThan(0.9);
      expect(logsAfter('cart-service', 'Connection refused: redis-cache:6379')).toEqual([0, expect.any(Number)]);
      expect(logsAfter('catalog-service', 'Connection refused: redis-cache:6379')[1]).toBeGreaterThan(2);
      expect(mean(after('user-service', 'latency_p95_ms', 1))).toBeGreaterThan(2 * mean(before('user-service', 'latency_p95_ms')));
      // the database slows down only after the cache has failed (a red herring, not the cause)
      const slowOnset = (values(s, 'postgres-main', 'slow_queries', on, end).findIndex((v) => v >= 8));
      expect(slowOnset).toBeGreaterThanOrEqual(1);
      expect(mean(after('postgres-main', 'latency_p95_ms', 2))).toBeGreaterThan(1.5 * mean(before('postgres-main', 'latency_p95_ms')));
      expect(max(after('postgres-main', 'pool_utilization', 0))).toBeLessThan(0.8);
      break;
    }
  }
}

describe.each(listScenarios().map((s) => [s.name, s] as const))('scenario %s', (_name, def) => {
  it('writes parseable telemetry with the fault signature, propagation and a symptom alert', async () => {
    const dir = freshDir();
    const w = createWorld({ scenario: def.name, seed: 7, dir });
    await w.start();
    await w.start(); // idempotent
    const gt = w.groundTruth;
    expect(gt.fault).toEqual(def.fault);
    expect(w.now()).toBe(gt.alertMs);
    const delayMin = (gt.alertMs - gt.onsetMs) / MIN;
    expect(delayMin).toBeGreaterThanOrEqual(3);
    expect(delayMin).toBeLessThanOrEqual(def.fault.kind === 'memory_leak' ? 20 : 10);
    expect(gt.fixedBy.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8'))).toMatchObject({ scenario: def.name, seed: 7, onsetMs: gt.onsetMs });

    // metrics.csv
    const rows = readMetrics(dir);
    expect(rows.length).toBeGreaterThan(5000);
    expect(rows.filter((r) => !Number.isFinite(r.ts) || !Number.isFinite(r.value) || r.ts >= gt.alertMs)).toEqual([]);
    expect(rows.filter((r, i) => i > 0 && r.ts < (rows[i - 1]?.ts ?? 0))).toEqual([]);
    expect(rows[0]?.ts).toBe(gt.startMs);
    const s = seriesOf(rows);
    expect(s.has('bank-gateway|latency_p95_ms')).toBe(false);
    for (const m of ['orders_per_minute', 'payment_success_rate', 'transaction_amount']) expect(s.has(`business|${m}`)).toBe(true);

    // traces
    const { requests, spans } = readSpans(dir);
    expect(requests.length).toBe(rows.filter((r) => r.entity === 'business' && r.metric === 'orders_per_minute').length);
    expect(spans.length).toBeGreaterThan(10_000);
    expect(spans.length).toBeLessThan(32_000);
    const ids = new Set(spans.map((sp) => sp.spanId));
    const badSpans = spans.filter((sp) => !(sp.kind >= 1 && sp.kind <= 5) || sp.endMs < sp.startMs
      || (sp.parentSpanId !== '' && !ids.has(sp.parentSpanId)) || (sp.kind === 3 && !sp.peer) || !/^[0-9a-f]{32}$/.test(sp.traceId));
    expect(badSpans).toEqual([]);

    // cmdb.yaml
    const doc = parseYaml(readFileSync(join(dir, 'cmdb.yaml'), 'utf8')) as { changes: { ts: string }[] };
    const cmdb = CmdbSchema.parse({ ...doc, changes: doc.changes.map((c) => ({ ...c, ts: Date.parse(c.ts) })) });
    expect(cmdb.services.length).toBeGreaterThanOrEqual(17);
    expect(new Set(cmdb.hosts.map((h) => h.zone)).size).toBeGreaterThanOrEqual(2);
    expect(cmdb.services.find((x) => x.name === 'bank-gateway')).toMatchObject({ kind: 'external', hosts: [] });
    for (const c of cmdb.changes) expect(c.ts).toBeLessThan(gt.alertMs);
    // an unrelated deploy of a healthy service 15-45 minutes before onset
    const herring = cmdb.changes.filter((c) => c.kind === 'deploy' && c.ts < gt.onsetMs - 14 * MIN && c.ts > gt.onsetMs - 46 * MIN);
    expect(herring.length).toBe(1);
    expect(herring[0]?.target).not.toBe(def.fault.target);

    // logs: every line has a timestamp in the written window; secrets are present for redaction tests
    const all: string[] = [];
    for (const spec of SERVICES.filter((x) => x.logFormat)) {
      const lines = readLog(dir, spec.name);
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.filter((l) => !(logTs(l) >= (gt.startMs ?? 0) && logTs(l) < gt.alertMs))).toEqual([]);
      all.push(...lines);
    }
    expect(all.length).toBeLessThan(20_000);
    expect(all.some((l) => l.includes('Authorization: Bearer eyJ'))).toBe(true);
    expect(all.some((l) => l.includes('4111 1111 1111 1111'))).toBe(true);
    expect(all.some((l) => l.includes('password='))).toBe(true);

    // alert
    const payload = w.alertPayload() as { version: string; status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[] };
    expect(JSON.parse(readFileSync(join(dir, 'alerts', '1.json'), 'utf8'))).toEqual(payload);
    expect(payload.version).toBe('4');
    expect(payload.status).toBe('firing');
    const alert = payload.alerts[0];
    expect(alert?.labels.alertname).toBe(gt.alertName);
    expect(['critical', 'high', 'warning']).toContain(alert?.labels.severity);
    expect(['api-gateway', 'web-frontend', 'business']).toContain(alert?.labels.service);
    expect(alert?.labels.service).not.toBe(def.fault.target);
    expect(alert?.annotations.summary).toBeTruthy();
    expect(Date.parse(alert?.startsAt ?? '')).toBe(gt.alertMs);

    checkSignature(def, gt, s, dir);

    // propagation: the gateway sees it (errors or latency), though it is not the cause
    const errUp = mean(values(s, 'api-gateway', 'error_rate', gt.onsetMs + MIN, gt.alertMs)) / mean(values(s, 'api-gateway', 'error_rate', gt.onsetMs - 30 * MIN, gt.onsetMs));
    const latUp = mean(values(s, 'api-gateway', 'latency_p95_ms', gt.onsetMs + MIN, gt.alertMs)) / mean(values(s, 'api-gateway', 'latency_p95_ms', gt.onsetMs - 30 * MIN, gt.onsetMs));
    expect(Math.max(errUp, latUp)).toBeGreaterThan(1.4);
  });
});
