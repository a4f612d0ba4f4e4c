import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROMETHEUS } from '../src/bench/prometheus-backfill.js';
import { FileMetricsSource } from '../src/connectors/files/index.js';
import { PrometheusMetricsSource } from '../src/connectors/prometheus/index.js';
import { createWorld, type ScenarioWorld } from '../src/world/index.js';
import { WorldMetricsEndpoint } from '../src/world/metrics-endpoint.js';
import { worldPrometheusSection } from '../src/world/prometheus-templates.js';
import { freePort } from '../src/live/daemons.js';
import { waitUntil } from './wait.js';

/**
 * A real Prometheus scraping the world's /metrics endpoint every second (honor_labels, so the exposed `instance` names
 * hosts, and honor_timestamps, the default): it catches up on the whole history — the oldest minutes over an hour old
 * — and then takes a minute the world writes later; the connector reads it back over the wall-clock time line.
 */
const missing = !existsSync(DEFAULT_PROMETHEUS);
if (missing) console.warn(`skipping the world endpoint test: ${DEFAULT_PROMETHEUS} not installed`);

describe.skipIf(missing)('a real Prometheus scraping the world metrics endpoint', () => {
  let dir: string;
  let world: ScenarioWorld;
  let endpoint: WorldMetricsEndpoint;
  let app: Server;
  let prometheus: ChildProcess;
  let source: PrometheusMetricsSource;
  let file: Map<string, Map<number, number>>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-endpoint-prom-'));
    world = createWorld({ scenario: 'cpu-saturation-catalog', seed: 4, dir: path.join(dir, 'world') });
    await world.start();
    endpoint = new WorldMetricsEndpoint({ dir: world.dir, worldNow: () => world.now(), minutesPerScrape: 10 });
    await endpoint.ready();
    app = createServer(endpoint.handler);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as AddressInfo).port;
    const promPort = await freePort();
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        `  - { job_name: world, honor_labels: true, static_configs: [ { targets: ["127.0.0.1:${appPort}"] } ] }`,
      ].join('\n'),
    );
    prometheus = spawn(DEFAULT_PROMETHEUS, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ], { stdio: 'ignore' });
    source = new PrometheusMetricsSource({ url: `http://127.0.0.1:${promPort}`, timeoutMs: 5_000, ...worldPrometheusSection() });
    await waitUntil(async () => endpoint.caughtUp(), 40_000);
    const all = await new FileMetricsSource(world.dir).query({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
    file = new Map(all.map((s) => [`${s.entity}|${s.metric}`, new Map(s.points.map((p) => [p.ts, p.value]))]));
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await new Promise((r) => app?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** a series over the world's history, on the wall-clock time line, mapped back to world times */
  const read = async (entity: string, metric: string, fromWorldMs: number, toWorldMs: number) => {
    const [s] = await source.query({ entity, metric, fromMs: endpoint.toWallMs(fromWorldMs), toMs: endpoint.toWallMs(toWorldMs) });
    return (s?.points ?? []).map((p) => ({ ts: p.ts - endpoint.offsetMs, value: p.value }));
  };
  const fileAt = (entity: string, metric: string, ts: number) => file.get(`${entity}|${metric}`)!.get(ts)!;

  it('holds the whole history, the oldest minutes included, as the file connector reads it', async () => {
    const from = world.groundTruth.startMs! + 2 * 60_000;
    const to = world.now();
    const minutes = (to - from) / 60_000;
    expect(minutes).toBeGreaterThan(60); // older than Prometheus' head accepts after its first scrape
    await waitUntil(async () => (await read('catalog-service', 'mem_rss_mb', from, to)).length === minutes, 10_000);
    for (const p of await read('catalog-service', 'mem_rss_mb', from, to)) expect(p.value).toBeCloseTo(fileAt('catalog-service', 'mem_rss_mb', p.ts), 6);
    const cpu = await read('catalog-service', 'cpu_util', from, to);
    expect(cpu.length).toBe(minutes);
    for (const p of cpu) expect(p.value).toBeCloseTo((fileAt('catalog-service', 'cpu_util', p.ts - 60_000) + fileAt('catalog-service', 'cpu_util', p.ts)) / 2, 6);
    const disk = await read('app-a2', 'disk_util', from, to);
    expect(disk.length).toBe(minutes);
    for (const p of disk) expect(p.value).toBeCloseTo(fileAt('app-a2', 'disk_util', p.ts), 6);
    for (const p of await read('catalog-service', 'latency_p95_ms', from, to)) {
      const two = [fileAt('catalog-service', 'latency_p95_ms', p.ts - 60_000), fileAt('catalog-service', 'latency_p95_ms', p.ts)];
      expect(p.value).toBeGreaterThanOrEqual(Math.min(...two) * 0.97);
      expect(p.value).toBeLessThanOrEqual(Math.max(...two) * 1.03);
    }
  });

  it('takes a minute the world writes later on the next scrapes', async () => {
    const minute = world.now();
    await world.advance(1);
    const all = await new FileMetricsSource(world.dir).query({ entity: 'postgres-main', metric: 'pool_utilization', fromMs: minute, toMs: minute + 60_000 });
    const want = all[0]!.points[0]!.value;
    await waitUntil(async () => (await read('postgres-main', 'pool_utilization', minute, minute + 60_000)).length === 1, 10_000);
    expect((await read('postgres-main', 'pool_utilization', minute, minute + 60_000))[0]!.value).toBe(want);
  });
});
