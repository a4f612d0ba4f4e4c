import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCopilotFileConfig } from '../connectors/prometheus/config-file.js';
import { effectiveTemplates } from '../connectors/prometheus/config-file.js';
import { renderTemplate } from '../connectors/prometheus/promql.js';
import type { MetricSeries } from '../model/telemetry.js';
import { createWorld } from './index.js';
import { exportWorldOpenMetrics, type WorldExport, worldGaugesOf } from './prometheus-export.js';
import { histogramQuantile, LATENCY_BUCKETS_S, minuteHistogram } from './prometheus-histogram.js';
import { worldPrometheusSection, worldPrometheusYaml } from './prometheus-templates.js';

describe('latency histograms', () => {
  it('computes histogram_quantile as PromQL does', () => {
    const bounds = [1, 2, 4];
    const cum = [10, 20, 30, 40];
    expect(histogramQuantile(0.1, bounds, cum)).toBeCloseTo(0.4); // first bucket: from 0
    expect(histogramQuantile(0.5, bounds, cum)).toBeCloseTo(2);
    expect(histogramQuantile(0.95, bounds, cum)).toBe(4); // in +Inf: the highest finite bound
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNaN();
  });

  it('gives the world p95 back through histogram_quantile, from the cache 0.5 ms to a 33 s timeout', () => {
    for (const p95 of [0.5, 3.2, 47, 607.5, 3450, 33104.8]) {
      const h = minuteHistogram(1000, p95);
      expect(h.cumulative.at(-1)).toBe(1000);
      expect(h.cumulative.every((c, i) => i === 0 || c >= h.cumulative[i - 1]!)).toBe(true);
      expect(Math.abs(histogramQuantile(0.95, LATENCY_BUCKETS_S, h.cumulative) * 1000 - p95) / p95).toBeLessThan(0.01);
      const meanMs = (h.sumS / 1000) * 1000;
      expect(meanMs).toBeGreaterThan(0.3 * p95);
      expect(meanMs).toBeLessThan(0.7 * p95);
    }
  });

  it('puts a down service (p95 0) in the first bucket without latency', () => {
    const h = minuteHistogram(3, 0);
    expect(h.cumulative.every((c) => c === 3)).toBe(true);
    expect(h.sumS).toBe(0);
  });
});

/** samples per series (name + labels) from the OpenMetrics text, in file order */
function parse(text: string): { families: string[]; series: Map<string, { ts: number; value: number }[]> } {
  const families: string[] = [];
  const series = new Map<string, { ts: number; value: number }[]>();
  let current = '';
  for (const line of text.trimEnd().split('\n')) {
    if (line === '# EOF') continue;
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) {
      expect(families, `family ${type[1]} appears twice`).not.toContain(type[1]);
      families.push((current = type[1]!));
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+) (\S+)$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(m![1]!.startsWith(current), `${line} outside its family ${current}`).toBe(true);
    let s = series.get(m![1]!);
    if (!s) series.set(m![1]!, (s = []));
    s.push({ ts: Number(m![3]) * 1000, value: Number(m![2]) });
  }
  return { families, series };
}

describe('the world as OpenMetrics', () => {
  let dir: string;
  let exported: WorldExport;
  let parsed: ReturnType<typeof parse>;
  let file: Map<string, Map<number, number>>;
  let lastMs: number;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-omexport-'));
    const world = createWorld({ scenario: 'memory-leak-cart', seed: 3, dir });
    await world.start();
    exported = await exportWorldOpenMetrics(dir);
    parsed = parse(exported.text);
    file = new Map(exported.series.map((s) => [`${s.entity}|${s.metric}`, new Map(s.points.map((p) => [p.ts, p.value]))]));
    lastMs = world.now() - 60_000;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (name: string, ts: number) => parsed.series.get(name)?.find((p) => p.ts === ts)?.value;
  const fileAt = (entity: string, metric: string, ts: number) => file.get(`${entity}|${metric}`)?.get(ts);
  // rate() over [T-120s, T] with samples at both ends: no extrapolation, the two minutes' mean per second
  const rate = (name: string, ts: number) => {
    const a = at(name, ts - 120_000);
    const b = at(name, ts);
    return a === undefined || b === undefined ? undefined : (b - a) / 120;
  };

  it('ends in # EOF, with time-ordered samples and counters that never decrease', () => {
    expect(exported.text.endsWith('# EOF\n')).toBe(true);
    expect(parsed.families).toEqual(expect.arrayContaining(['http_server_request_duration_seconds', 'process_cpu_seconds', 'process_resident_memory_bytes', 'process_start_time_seconds', 'node_cpu_seconds', 'node_memory_MemAvailable_bytes', 'node_filesystem_avail_bytes', 'node_netstat_Tcp_RetransSegs', 'shop_pool_utilization', 'shop_orders_per_minute']));
    for (const [name, points] of parsed.series) {
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.ts, name).toBeGreaterThan(points[i - 1]!.ts);
        if (/_total|_bucket|_count|_sum|RetransSegs/.test(name)) expect(points[i]!.value, name).toBeGreaterThanOrEqual(points[i - 1]!.value);
      }
    }
  });

  it('gives throughput, error rate, p95 and CPU back through rate() over two minutes', () => {
    const svc = (s: string) => `service_name="${s}",instance="app-b1:9464"`;
    const T = lastMs;
    const ok = `http_server_request_duration_seconds_count{${svc('cart-service')},http_response_status_code="200"}`;
    const bad = `http_server_request_duration_seconds_count{${svc('cart-service')},http_response_status_code="500"}`;
    const total = rate(ok, T)! + (rate(bad, T) ?? 0);
    const thr = [fileAt('cart-service', 'throughput_rpm', T - 60_000)!, fileAt('cart-service', 'throughput_rpm', T)!];
    expect(total * 60).toBeCloseTo((thr[0]! + thr[1]!) / 2, 6);
    const errs = [fileAt('cart-service', 'error_rate', T - 60_000)!, fileAt('cart-service', 'error_rate', T)!];
    const wantErrors = Math.round(errs[0]! * thr[0]!) + Math.round(errs[1]! * thr[1]!);
    expect((rate(bad, T) ?? 0) * 120).toBeCloseTo(wantErrors, 6);
    // p95 of the two minutes together lies between the two minutes' p95 (within the buckets' interpolation)
    const cum = LATENCY_BUCKETS_S.map((le) => ['200', '500'].reduce((a, c) => a + (rate(`http_server_request_duration_seconds_bucket{${svc('cart-service')},http_response_status_code="${c}",le="${le}"}`, T) ?? 0), 0));
    cum.push(total);
    const p95 = histogramQuantile(0.95, LATENCY_BUCKETS_S, cum) * 1000;
    const p = [fileAt('cart-service', 'latency_p95_ms', T - 60_000)!, fileAt('cart-service', 'latency_p95_ms', T)!];
    expect(p95).toBeGreaterThan(Math.min(...p) * 0.97);
    expect(p95).toBeLessThan(Math.max(...p) * 1.03);
    const cpu = rate(`process_cpu_seconds_total{${svc('cart-service')}}`, T)! * 100;
    expect(cpu).toBeCloseTo((fileAt('cart-service', 'cpu_util', T - 60_000)! + fileAt('cart-service', 'cpu_util', T)!) / 2, 6);
    const idle = rate('node_cpu_seconds_total{instance="app-b1",job="node",cpu="0",mode="idle"}', T)!;
    expect(100 * (1 - idle)).toBeCloseTo((fileAt('app-b1', 'cpu_util', T - 60_000)! + fileAt('app-b1', 'cpu_util', T)!) / 2, 6);
  });

  it('gives gauges back exactly: memory, disk, a database pool, a KPI', () => {
    const T = lastMs;
    const total = at('node_memory_MemTotal_bytes{instance="app-b1",job="node"}', T)!;
    const avail = at('node_memory_MemAvailable_bytes{instance="app-b1",job="node"}', T)!;
    expect(100 * (1 - avail / total)).toBeCloseTo(fileAt('app-b1', 'mem_util', T)!, 6);
    const fs = 'instance="app-b1",job="node",device="/dev/vda1",fstype="ext4",mountpoint="/"';
    expect(100 * (1 - at(`node_filesystem_avail_bytes{${fs}}`, T)! / at(`node_filesystem_size_bytes{${fs}}`, T)!)).toBeCloseTo(fileAt('app-b1', 'disk_util', T)!, 6);
    expect(at('process_resident_memory_bytes{service_name="cart-service",instance="app-b1:9464"}', T)! / 1024 ** 2).toBeCloseTo(fileAt('cart-service', 'mem_rss_mb', T)!, 4);
    expect(at('shop_pool_utilization{service_name="postgres-main"}', T)).toBe(fileAt('postgres-main', 'pool_utilization', T));
    expect(at('shop_orders_per_minute', T)).toBe(fileAt('business', 'orders_per_minute', T));
  });

  it('changes process_start_time_seconds once per restart the world counts (what changes() reads)', () => {
    const starts = parsed.series.get('process_start_time_seconds{service_name="cart-service",instance="app-b1:9464"}')!;
    const restarts = [...file.get('cart-service|restarts')!];
    expect(restarts.some(([, v]) => v > 0)).toBe(true); // the leak has restarted the JVM by the alert
    for (const [ts, count] of restarts.slice(1)) {
      const window = starts.filter((p) => p.ts >= ts - 60_000 && p.ts <= ts);
      const changes = window.slice(1).filter((p, i) => p.value !== window[i]!.value).length;
      expect(changes, new Date(ts).toISOString()).toBe(count);
    }
  });
});

describe('the world templates', () => {
  it('are what docs/examples/world-prometheus.yaml holds, and the config schema accepts them', () => {
    const text = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'examples', 'world-prometheus.yaml'), 'utf8');
    expect(text).toBe(worldPrometheusYaml());
    const parsed = parseCopilotFileConfig(text);
    const templates = effectiveTemplates(parsed.prometheus);
    const pool = templates.find((t) => t.kind === 'service' && t.metric === 'pool_utilization')!;
    expect(renderTemplate(pool, { serviceLabel: 'service_name', entity: 'postgres-main', stepMs: 60_000, rateWindowMs: 120_000 })).toBe(
      'max by (service_name) (shop_pool_utilization{ service_name="postgres-main" })',
    );
    expect(templates.find((t) => t.kind === 'business' && t.metric === 'orders_per_minute')?.promql).toBe('max(shop_orders_per_minute)');
  });

  it('carry a metric the conventions do not know as a gauge of its entity kind', () => {
    const series: MetricSeries[] = [
      { entity: 'checkout', metric: 'latency_p95_ms', points: [] },
      { entity: 'db-1', metric: 'inode_util', points: [] },
      { entity: 'checkout', metric: 'gc_pause_ms', points: [] },
    ];
    const gauges = worldGaugesOf(series, { services: [], hosts: [{ name: 'db-1', zone: 'z', cpus: 2, memoryGb: 4, diskGb: 10 }], changes: [] });
    const section = worldPrometheusSection(gauges);
    expect(section.metrics.host?.['inode_util']?.promql).toBe('max by (instance) (shop_inode_util{ {{match}} })');
    expect(section.metrics.service?.['gc_pause_ms']).toBeDefined();
    expect(section.metrics.service?.['latency_p95_ms']).toBeUndefined();
  });
});
