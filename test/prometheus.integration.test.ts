import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusMetricsSource, PrometheusTopology } from '../src/connectors/prometheus/index.js';
import { isDataSourceError } from '../src/connectors/types.js';
import { tracesExpert } from '../src/analytics/experts/traces.js';
import { freePort } from '../src/live/daemons.js';
import { waitUntil } from './wait.js';

/**
 * The Prometheus source against a real Prometheus that scrapes, every second, a service this test serves (OpenTelemetry
 * HTTP histograms with 20 % 5xx, a client histogram for checkout→payment with 10 % 5xx, process metrics) and a real
 * node-exporter, all on loopback ports with temporary data.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const missing = [PROMETHEUS, NODE_EXPORTER].filter((b) => !existsSync(b));
if (missing.length) console.warn(`skipping the Prometheus integration test: ${missing.join(', ')} not installed`);

describe.skipIf(missing.length > 0)('Prometheus source against a real Prometheus and node-exporter', () => {
  const children: ChildProcess[] = [];
  let app: Server;
  let traffic: NodeJS.Timeout;
  let dir: string;
  let promUrl: string;
  let source: PrometheusMetricsSource;
  let failing = 2;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sre-copilot-prom-'));
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, labels: { service_name: 'checkout' } });
    const server = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'server',
      labelNames: ['service_name', 'http_route', 'http_response_status_code'],
      registers: [registry],
    });
    const client = new Histogram({
      name: 'http_client_request_duration_seconds',
      help: 'client',
      labelNames: ['service_name', 'server_address', 'http_response_status_code'],
      registers: [registry],
    });
    // each tick: 8 fast successes and 2 slow 5xx served (until the last test fails 6); 9 good calls to payment, 1 bad
    const tick = () => {
      for (let i = 0; i < 10 - failing; i++) server.observe({ service_name: 'checkout', http_route: '/pay', http_response_status_code: '200' }, 0.05);
      for (let i = 0; i < failing; i++) server.observe({ service_name: 'checkout', http_route: '/pay', http_response_status_code: '500' }, 0.2);
      for (let i = 0; i < 9; i++) client.observe({ service_name: 'checkout', server_address: 'payment', http_response_status_code: '200' }, 0.03);
      client.observe({ service_name: 'checkout', server_address: 'payment', http_response_status_code: '503' }, 0.03);
    };
    tick();
    traffic = setInterval(tick, 100);
    app = createServer((req, res) => {
      void registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as AddressInfo).port;

    const nodePort = await freePort();
    children.push(
      spawn(NODE_EXPORTER, [
        `--web.listen-address=127.0.0.1:${nodePort}`,
        '--collector.disable-defaults',
        '--collector.cpu', '--collector.meminfo', '--collector.filesystem', '--collector.netstat', '--collector.netdev',
      ], { stdio: 'ignore' }),
    );
    const promPort = await freePort();
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: app, static_configs: [ { targets: ["127.0.0.1:${appPort}"] } ] }`,
      `  - { job_name: node, static_configs: [ { targets: ["127.0.0.1:${nodePort}"] } ] }`,
    ].join('\n');
    await writeFile(path.join(dir, 'prometheus.yml'), config);
    children.push(
      spawn(PROMETHEUS, [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ], { stdio: 'ignore' }),
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    source = new PrometheusMetricsSource({ url: promUrl, step: '1s', rateWindow: '4s', timeoutMs: 5_000 });
    // ready once both targets have been scraped several times and the service's rate has a value
    await waitUntil(async () => {
      const r = await source.client.query('min(count_over_time(up[10s]))');
      return (r.series[0]?.points[0]?.value ?? 0) >= 5 && (await source.client.query('count(up == 1)')).series[0]?.points[0]?.value === 2;
    }, 30_000);
  });

  afterAll(async () => {
    clearInterval(traffic);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await new Promise((r) => app?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const lastValue = async (entity: string, metric: string): Promise<number | undefined> => {
    const now = Date.now();
    const [series] = await source.query({ entity, metric, fromMs: now - 10_000, toMs: now });
    return series?.points.at(-1)?.value;
  };

  it('discovers service_name as the service label', async () => {
    expect(await source.resolveServiceLabel()).toBe('service_name');
  });

  it('reads a service golden signals from the OpenTelemetry HTTP server histogram', async () => {
    const errorRate = await lastValue('checkout', 'error_rate');
    expect(errorRate).toBeGreaterThan(0.1);
    expect(errorRate).toBeLessThan(0.3);
    // about 100 requests a second are served (6000 rpm); a loaded machine ticks slower, never faster
    const rpm = await lastValue('checkout', 'throughput_rpm');
    expect(rpm).toBeGreaterThan(1_000);
    expect(rpm).toBeLessThan(8_000);
    // 20 % at 200 ms puts the p95 in the 100–250 ms bucket; the mean is 0.8·50 + 0.2·200 = 80 ms
    const p95 = await lastValue('checkout', 'latency_p95_ms');
    expect(p95).toBeGreaterThan(100);
    expect(p95).toBeLessThanOrEqual(250);
    const mean = await lastValue('checkout', 'latency_mean_ms');
    expect(mean).toBeGreaterThan(70);
    expect(mean).toBeLessThan(90);
  });

  it('reads process memory and CPU per service', async () => {
    expect(await lastValue('checkout', 'mem_rss_mb')).toBeGreaterThan(10);
    const cpu = await lastValue('checkout', 'cpu_util');
    expect(cpu).toBeGreaterThanOrEqual(0);
  });

  it('reads the call edge checkout->payment from client metrics alone', async () => {
    const now = Date.now();
    expect(await source.callGraph(now - 10_000, now)).toEqual([{ caller: 'checkout', callee: 'payment' }]);
    const errorRate = await lastValue('checkout->payment', 'error_rate');
    expect(errorRate).toBeGreaterThan(0.05);
    expect(errorRate).toBeLessThan(0.15);
    expect(await lastValue('checkout->payment', 'latency_mean_ms')).toBeCloseTo(30, 0);
  });

  it('reads host CPU, memory and disk from node-exporter, per instance without its port', async () => {
    for (const metric of ['cpu_util', 'mem_util', 'disk_util']) {
      const v = await lastValue('127.0.0.1', metric);
      expect(v, metric).toBeGreaterThanOrEqual(0);
      expect(v, metric).toBeLessThanOrEqual(100);
    }
    expect(await lastValue('127.0.0.1', 'up')).toBe(1);
  });

  it('answers an unfiltered query (what the experts ask) with every kind of entity, and lists them', async () => {
    const now = Date.now();
    const all = await source.query({ fromMs: now - 10_000, toMs: now });
    const keys = new Set(all.map((s) => `${s.entity} ${s.metric}`));
    for (const k of ['checkout error_rate', 'checkout latency_p95_ms', '127.0.0.1 cpu_util', 'checkout->payment throughput_rpm']) expect(keys).toContain(k);
    for (const s of all) for (const p of s.points) expect(p.ts).toBeLessThan(now);
    const listed = await source.list();
    expect(listed).toContainEqual({ entity: 'checkout', metric: 'throughput_rpm' });
    expect(listed).toContainEqual({ entity: '127.0.0.1', metric: 'mem_util' });
  });

  it('discovers a CMDB from the metrics: the service, its host, its dependency (external) and the host', async () => {
    const cmdb = await new PrometheusTopology(source, 60_000).snapshot();
    expect(cmdb.services).toEqual([
      { name: 'checkout', kind: 'service', tier: 2, owner: 'unknown', hosts: ['127.0.0.1'], dependsOn: ['payment'] },
      { name: 'payment', kind: 'external', tier: 2, owner: 'unknown', hosts: [], dependsOn: [] },
    ]);
    expect(cmdb.hosts).toEqual([{ name: '127.0.0.1', zone: 'unknown', cpus: expect.any(Number), memoryGb: expect.any(Number), diskGb: expect.any(Number) }]);
    expect(cmdb.hosts[0]!.cpus).toBeGreaterThan(0);
    expect(cmdb.hosts[0]!.memoryGb).toBeGreaterThan(0);
  });

  it('reports PromQL the server rejects with its error message', async () => {
    const err = await source.client.query('sum(rate(up[1s]').catch((e: unknown) => e);
    expect(isDataSourceError(err)).toBe(true);
    expect((err as Error).message).toMatch(/HTTP 400.*bad_data.*parse error/);
  });

  it('lets the traces expert find an error-rate rise on Prometheus data with no change to the expert', async () => {
    const errorPoints = async (fromMs: number, toMs: number) =>
      (await source.query({ entity: 'checkout', metric: 'error_rate', fromMs, toMs }))[0]?.points ?? [];
    await waitUntil(async () => (await errorPoints(Date.now() - 6_000, Date.now())).length >= 6, 15_000);
    const onset = Date.now();
    failing = 6;
    await waitUntil(async () => (await errorPoints(onset, Date.now())).filter((p) => p.value > 0.5).length >= 4, 20_000);
    const now = Date.now();
    const cmdb = await new PrometheusTopology(source, 60_000).snapshot();
    const connectors = { metrics: source, traces: { spans: async () => [] }, logs: { read: async () => [] }, cmdb: { snapshot: async () => cmdb } };
    const findings = await tracesExpert({ connectors, cmdb, baseline: { fromMs: onset - 6_000, toMs: onset }, window: { fromMs: onset, toMs: now } });
    const errors = findings.find((f) => f.id === 'traces:checkout:errors');
    expect(errors?.summary).toMatch(/^error rate of checkout up 20\.0% → (5|6)\d\.\d% from /);
  });
});
