import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBinaries } from '../src/bench/prometheus-backfill.js';
import { worldViaPrometheus } from '../src/bench/via-prometheus.js';
import { createChannel } from '../src/bot/registry.js';
import { runDemo, type ScenarioScore } from '../src/cli/demo.js';
import type { Config } from '../src/config.js';
import { FileMetricsSource } from '../src/connectors/files/index.js';
import { PrometheusMetricsSource } from '../src/connectors/prometheus/index.js';
import type { MetricSeries } from '../src/model/telemetry.js';
import type { ScenarioWorld } from '../src/world/index.js';
import { testConfig } from './helpers.js';

/**
 * The scenario world's history backfilled into a real Prometheus (promtool + prometheus on a loopback port, temporary
 * storage) and read through PrometheusMetricsSource: the series match what the file connector reads from metrics.csv,
 * and an investigation that reads its metrics only through Prometheus ranks the true cause first.
 */
const missing = missingBinaries();
if (missing.length) console.warn(`skipping the world-through-Prometheus test: ${missing.join(', ')} not installed`);

describe.skipIf(missing.length > 0)('the scenario world read back through a backfilled Prometheus', () => {
  let config: Config;
  let world: ScenarioWorld;
  let source: PrometheusMetricsSource;
  let score: ScenarioScore;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    config = await testConfig();
    const via = worldViaPrometheus();
    // the demo closes its metrics source with the scenario: keep this one open for the series checks below
    const { scenarios } = await runDemo({
      config,
      scenarios: ['bad-deploy-payment'],
      seed: 1,
      approve: 'no',
      channelFor: () => createChannel('console', { stream: null }),
      metricsVia: async (w) => {
        world = w;
        const opened = await via(w);
        closers.push(opened.close);
        source = opened.metrics as PrometheusMetricsSource;
        return { metrics: opened.metrics, close: async () => {} };
      },
    });
    score = scenarios[0]!;
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close();
    if (config) await rm(config.home, { recursive: true, force: true });
  });

  it('ranks the bad payment-service deploy first, reading metrics only through Prometheus', () => {
    expect(score.error).toBeUndefined();
    expect(source).toBeInstanceOf(PrometheusMetricsSource);
    // the investigation's metric reads went to Prometheus and came back with data
    expect(source.diagnostics()[0]!.records).toBeGreaterThan(1_000);
    expect(source.warnings()).toEqual([]);
    expect(score.topCauses[0]).toMatchObject({ target: 'payment-service', kind: 'bad_deploy' });
  });

  describe('series match the file connector', () => {
    let fromMs: number;
    let toMs: number;
    let file: Map<string, Map<number, number>>;
    beforeAll(async () => {
      const all = await new FileMetricsSource(world.dir).query({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
      file = new Map(all.map((s) => [`${s.entity}|${s.metric}`, new Map(s.points.map((p) => [p.ts, p.value]))]));
      // from the third minute: before it, rate() has fewer than two minutes of samples to work with
      fromMs = world.groundTruth.startMs! + 2 * 60_000;
      toMs = world.now();
    });
    const read = async (entity: string, metric: string): Promise<MetricSeries> => {
      const [s] = await source.query({ entity, metric, fromMs, toMs });
      expect(s, `${entity} ${metric}`).toBeDefined();
      // one point a minute over the whole range
      expect(s!.points.length).toBe((toMs - fromMs) / 60_000);
      return s!;
    };
    const fileAt = (entity: string, metric: string, ts: number): number => {
      const v = file.get(`${entity}|${metric}`)?.get(ts);
      expect(v, `${entity} ${metric} at ${new Date(ts).toISOString()}`).toBeDefined();
      return v!;
    };

    it('gauges exactly: pool utilisation, resident memory, disk, a KPI, restarts', async () => {
      for (const [entity, metric, tolerance] of [
        ['postgres-main', 'pool_utilization', 1e-9],
        ['payment-service', 'mem_rss_mb', 1e-6],
        ['app-b3', 'disk_util', 1e-6],
        ['app-b3', 'mem_util', 1e-6],
        ['business', 'payment_success_rate', 1e-9],
        ['cart-service', 'restarts', 0],
      ] as const) {
        const s = await read(entity, metric);
        for (const p of s.points) expect(Math.abs(p.value - fileAt(entity, metric, p.ts)), `${entity} ${metric}`).toBeLessThanOrEqual(tolerance);
      }
    });

    it('counters as two-minute rates: throughput and CPU the mean of the two minutes, errors their ratio', async () => {
      const mean2 = (entity: string, metric: string, ts: number) => (fileAt(entity, metric, ts - 60_000) + fileAt(entity, metric, ts)) / 2;
      // within 1 rpm: in the minute after a service's first 5xx, rate() extrapolates its new 500 series
      for (const p of (await read('payment-service', 'throughput_rpm')).points) expect(Math.abs(p.value - mean2('payment-service', 'throughput_rpm', p.ts))).toBeLessThanOrEqual(1);
      for (const p of (await read('app-b3', 'cpu_util')).points) expect(p.value).toBeCloseTo(mean2('app-b3', 'cpu_util', p.ts), 6);
      for (const p of (await read('payment-service', 'cpu_util')).points) expect(p.value).toBeCloseTo(mean2('payment-service', 'cpu_util', p.ts), 6);
      for (const p of (await read('payment-service', 'error_rate')).points) {
        const n = [fileAt('payment-service', 'throughput_rpm', p.ts - 60_000), fileAt('payment-service', 'throughput_rpm', p.ts)];
        const e = [fileAt('payment-service', 'error_rate', p.ts - 60_000), fileAt('payment-service', 'error_rate', p.ts)];
        const want = (Math.round(e[0]! * n[0]!) + Math.round(e[1]! * n[1]!)) / (n[0]! + n[1]!);
        // within two requests of the two minutes' count: the 500 series is born with the first error, and rate() reads
        // nothing from it in its first minute and extrapolates it in the second
        expect(Math.abs(p.value - want)).toBeLessThanOrEqual(2 / (n[0]! + n[1]!));
      }
    });

    it('p95 latency between the two minutes p95s, within 3 %, through the bad deploy', async () => {
      for (const entity of ['payment-service', 'order-service', 'postgres-main']) {
        for (const p of (await read(entity, 'latency_p95_ms')).points) {
          const two = [fileAt(entity, 'latency_p95_ms', p.ts - 60_000), fileAt(entity, 'latency_p95_ms', p.ts)];
          expect(p.value, `${entity} at ${new Date(p.ts).toISOString()}`).toBeGreaterThanOrEqual(Math.min(...two) * 0.97);
          expect(p.value, `${entity} at ${new Date(p.ts).toISOString()}`).toBeLessThanOrEqual(Math.max(...two) * 1.03);
        }
      }
    });
  });
});
