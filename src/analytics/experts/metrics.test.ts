import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { gauss, rng } from '../test-util.js';
import { at, CMDB_YAML, contextFor, iso, metricsCsv, telemetryDir } from './fixture.js';
import { metricsExpert } from './metrics.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('metrics expert', () => {
  it('attributes host CPU saturation to its service, finds a memory trend, restarts and pool exhaustion; ignores noise', async () => {
    const r = rng(21);
    const n = (sd: number) => sd * gauss(r);
    const dir = await telemetryDir({
      'metrics.csv': metricsCsv([
        { entity: 'h1', metric: 'cpu_util', f: () => 30 + n(2) },
        { entity: 'h2', metric: 'cpu_util', f: (i) => (i >= 70 ? 97 + n(1) : 32 + n(2)) },
        { entity: 'h3', metric: 'disk_util', f: () => 55 + n(0.2) },
        { entity: 'h3', metric: 'net_retransmits', f: () => Math.max(0, 3 + n(1)) },
        { entity: 'api', metric: 'mem_rss_mb', f: (i) => 800 + n(5) + (i >= 65 ? (i - 65) * 12 : 0) },
        { entity: 'api', metric: 'restarts', f: (i) => (i === 85 ? 1 : 0) },
        { entity: 'web', metric: 'restarts', f: () => 0 },
        { entity: 'web', metric: 'mem_rss_mb', f: () => 500 + n(4) },
        { entity: 'db', metric: 'pool_utilization', f: (i) => (i >= 72 ? 1 : 0.35 + n(0.03)) },
        { entity: 'redis-cache', metric: 'hit_rate', f: () => 0.93 + n(0.01) },
        { entity: 'business', metric: 'orders_per_minute', f: (i) => (i >= 70 ? 10 : 100) },
      ]),
    });
    dirs.push(dir);
    const findings = await metricsExpert(await contextFor(dir));
    for (const f of findings) FindingSchema.parse(f);
    const byId = new Map(findings.map((f) => [f.id, f]));
    expect([...byId.keys()].sort()).toEqual(
      ['metrics:api:mem_rss_mb', 'metrics:api:restarts', 'metrics:db:pool_utilization', 'metrics:h2:cpu_util:api'].sort(),
    );
    expect(byId.get('metrics:h2:cpu_util:api')).toMatchObject({
      component: 'api', anomaly: 'saturation', onsetMs: at(70), faultHints: ['cpu_saturation'], series: { entity: 'h2', metric: 'cpu_util' },
    });
    const mem = byId.get('metrics:api:mem_rss_mb')!;
    expect(mem).toMatchObject({ anomaly: 'trend', faultHints: ['memory_leak'], direction: 'up' });
    expect(Math.abs(mem.onsetMs - at(65))).toBeLessThanOrEqual(2 * 60_000);
    expect(byId.get('metrics:api:restarts')).toMatchObject({ anomaly: 'restart', onsetMs: at(85), faultHints: ['memory_leak'] });
    expect(byId.get('metrics:db:pool_utilization')).toMatchObject({ anomaly: 'saturation', faultHints: ['db_connection_exhaustion'] });
    expect(findings.map((f) => f.score)).toEqual([...findings.map((f) => f.score)].sort((a, b) => b - a));
    expect(byId.get('metrics:h2:cpu_util:api')!.evidence[0]).toMatch(/^cpu_util 3\d\.\d% → 9\d\.\d% from 09:10$/);
  });

  it('raises a DataSourceError when metrics.csv is missing', async () => {
    const dir = await telemetryDir({});
    dirs.push(dir);
    await expect(metricsExpert(await contextFor(dir))).rejects.toMatchObject({ name: 'DataSourceError', source: 'metrics' });
  });
});

describe('metrics expert restarts', () => {
  it('a single restart at a deploy is attributed to the deploy', async () => {
    const dir = await telemetryDir({
      'metrics.csv': metricsCsv([{ entity: 'api', metric: 'restarts', f: (i) => (i === 66 ? 1 : 0) }]),
      'cmdb.yaml': CMDB_YAML.replace(
        'changes: []',
        `changes:\n  - {id: chg-1, ts: "${iso(at(65))}", kind: deploy, target: api, description: d, to: 1.4.0, author: ci}`,
      ),
    });
    dirs.push(dir);
    const [f] = await metricsExpert(await contextFor(dir));
    expect(f).toMatchObject({ id: 'metrics:api:restarts', faultHints: ['bad_deploy'], onsetMs: at(66) });
  });
});
