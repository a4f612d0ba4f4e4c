/** Test fixtures: a tiny telemetry folder (docs/telemetry-format.md) written to a temp dir. Used by tests only. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createFileConnectors } from '../../connectors/files/index.js';
import type { ExpertContext } from './types.js';

export const MIN = 60_000;
export const T0 = Date.parse('2026-11-20T08:00:00.000Z');
export const BASELINE = { fromMs: T0, toMs: T0 + 60 * MIN };
export const WINDOW = { fromMs: T0 + 60 * MIN, toMs: T0 + 90 * MIN };
export const at = (minute: number, sec = 0): number => T0 + minute * MIN + sec * 1000;
export const iso = (ms: number): string => new Date(ms).toISOString();

export const CMDB_YAML = `services:
  - {name: web, kind: service, tier: 0, owner: storefront, oncall: web-oncall, hosts: [h1], dependsOn: [api]}
  - {name: api, kind: service, tier: 0, owner: checkout, oncall: checkout-oncall, hosts: [h2], dependsOn: [db, redis-cache, bank-gateway]}
  - {name: db, kind: database, tier: 0, owner: data, hosts: [h3], dependsOn: []}
  - {name: redis-cache, kind: cache, tier: 1, owner: data, hosts: [h3], dependsOn: []}
  - {name: bank-gateway, kind: external, tier: 0, owner: payments, hosts: [], dependsOn: []}
hosts:
  - {name: h1, zone: a, cpus: 4, memoryGb: 8, diskGb: 100}
  - {name: h2, zone: a, cpus: 4, memoryGb: 8, diskGb: 100}
  - {name: h3, zone: b, cpus: 8, memoryGb: 32, diskGb: 500}
changes: []
`;

/** Writes files (paths relative to the folder) into a fresh temp folder; cmdb.yaml defaults to CMDB_YAML. */
export async function telemetryDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sre-fixture-'));
  const all = { 'cmdb.yaml': CMDB_YAML, ...files };
  for (const [rel, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

export async function contextFor(dir: string, extra: Partial<ExpertContext> = {}): Promise<ExpertContext> {
  const connectors = createFileConnectors(dir);
  return { connectors, cmdb: await connectors.cmdb.snapshot(), baseline: BASELINE, window: WINDOW, ...extra };
}

/** metrics.csv for 90 one-minute samples per series. */
export function metricsCsv(series: { entity: string; metric: string; f: (minute: number) => number }[], minutes = 90): string {
  const rows = ['timestamp,entity,metric,value'];
  for (let i = 0; i < minutes; i++) {
    for (const s of series) rows.push(`${iso(at(i))},${s.entity},${s.metric},${s.f(i).toFixed(4)}`);
  }
  return rows.join('\n') + '\n';
}

export interface SpanSpec {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'SERVER' | 'CLIENT';
  startMs: number;
  durMs: number;
  error?: boolean;
  peer?: string;
}

/** One OTLP/JSON export line holding these spans, grouped per service. */
export function otlpLine(spans: SpanSpec[]): string {
  const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);
  const bySvc = new Map<string, SpanSpec[]>();
  for (const s of spans) bySvc.set(s.service, [...(bySvc.get(s.service) ?? []), s]);
  return JSON.stringify({
    resourceSpans: [...bySvc].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'fixture' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: s.kind === 'SERVER' ? 2 : 3,
            startTimeUnixNano: ns(s.startMs),
            endTimeUnixNano: ns(s.startMs + s.durMs),
            status: { code: s.error ? 2 : 0 },
            attributes: s.peer ? [{ key: 'peer.service', value: { stringValue: s.peer } }] : [],
          })),
        },
      ],
    })),
  });
}
