import { describe, expect, it } from 'vitest';
import type { Cmdb, MetricSeries } from '../model/telemetry.js';
import { combineConnectors, mergeCmdbs } from './combined.js';
import { DataSourceError, type MetricsSource } from './types.js';

const series = (entity: string, metric: string): MetricSeries => ({ entity, metric, points: [{ ts: 1, value: 1 }] }) as MetricSeries;
const up = (data: MetricSeries[]): MetricsSource => ({ query: async () => data, list: async () => data.map(({ entity, metric }) => ({ entity, metric })) });
const down: MetricsSource = {
  query: async () => {
    throw new DataSourceError('metrics', 'http://prom:9090', 'unreadable', 'connection refused');
  },
  list: async () => {
    throw new Error('connection refused');
  },
};
const none = { logs: [], traces: [], cmdb: [] };

describe('combined sources', () => {
  it('answers with what the live sources returned when one is down, and says which one failed', async () => {
    const c = combineConnectors({ ...none, metrics: [{ name: 'prometheus', source: down }, { name: 'otlp', source: up([series('payment-service', 'error_rate')]) }] });
    expect((await c.metrics.query({ fromMs: 0, toMs: 10 })).map((s) => s.entity)).toEqual(['payment-service']);
    expect(c.failures()).toEqual([expect.objectContaining({ source: 'prometheus', error: expect.stringMatching(/connection refused/) })]);
  });

  it('fails only when every source fails, naming each reason', async () => {
    const c = combineConnectors({ ...none, metrics: [{ name: 'prometheus', source: down }, { name: 'victoria', source: down }] });
    await expect(c.metrics.query({ fromMs: 0, toMs: 10 })).rejects.toThrow(/prometheus: .*connection refused.*victoria: /);
  });

  it('de-duplicates the listed series across sources', async () => {
    const c = combineConnectors({ ...none, metrics: [{ name: 'a', source: up([series('x', 'cpu_util')]) }, { name: 'b', source: up([series('x', 'cpu_util'), series('y', 'cpu_util')]) }] });
    expect(await c.metrics.list()).toEqual([{ entity: 'x', metric: 'cpu_util' }, { entity: 'y', metric: 'cpu_util' }]);
  });

  it('merges CMDBs: the curated one describes a service, discovered calls add to its dependencies', () => {
    const svc = (name: string, dependsOn: string[], owner = 'team') => ({ name, kind: 'service' as const, tier: 1, owner, hosts: [], dependsOn });
    const curated: Cmdb = { services: [svc('web', ['api'], 'web-team')], hosts: [], changes: [{ id: 'CHG-1', ts: 5, kind: 'deploy', target: 'api', author: 'ci', description: 'd' } as Cmdb['changes'][number]] };
    const discovered: Cmdb = { services: [svc('web', ['search'], 'unknown'), svc('search', [])], hosts: [], changes: [] };
    const merged = mergeCmdbs([curated, discovered]);
    expect(merged.services.find((s) => s.name === 'web')).toMatchObject({ owner: 'web-team', dependsOn: ['api', 'search'] });
    expect(merged.services.map((s) => s.name)).toEqual(['web', 'search']);
    expect(merged.changes.map((c) => c.id)).toEqual(['CHG-1']);
  });

  it('counts a deploy seen in the traces once when the curated CMDB records it, and keeps one it does not', () => {
    const change = (id: string, target: string, to: string, ts: number) => ({ id, ts, kind: 'deploy' as const, target, to, from: '1', author: 'x', description: 'd' });
    const curated: Cmdb = { services: [], hosts: [], changes: [change('CHG-7', 'api', '2.0', 100)] };
    const observed: Cmdb = { services: [], hosts: [], changes: [change('observed-deploy-api-2.0', 'api', '2.0', 130), change('observed-deploy-web-5.1', 'web', '5.1', 140)] };
    expect(mergeCmdbs([curated, observed]).changes.map((c) => c.id)).toEqual(['CHG-7', 'observed-deploy-web-5.1']);
  });
});
