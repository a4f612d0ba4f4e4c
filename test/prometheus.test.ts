import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alignRange,
  chooseStep,
  DEFAULT_TEMPLATES,
  effectiveTemplates,
  entityOf,
  kindsForEntity,
  matchers,
  parseCopilotFileConfig,
  PrometheusClient,
  PrometheusMetricsSource,
  prometheusSourceFromSettings,
  PrometheusTopology,
  renderTemplate,
  stripPort,
} from '../src/connectors/prometheus/index.js';
import { createConnectors } from '../src/connectors/registry.js';
import { isDataSourceError } from '../src/connectors/types.js';

const template = (kind: string, metric: string) => DEFAULT_TEMPLATES.find((t) => t.kind === kind && t.metric === metric)!;
const params = { serviceLabel: 'service_name', stepMs: 60_000, rateWindowMs: 120_000 };

describe('PromQL building', () => {
  it('turns the OTel server histogram into an error ratio that is 0, not absent, without 5xx', () => {
    expect(renderTemplate(template('service', 'error_rate'), { ...params, entity: 'checkout' })).toBe(
      '(sum by (service_name) (rate(http_server_request_duration_seconds_count{ service_name="checkout", http_response_status_code=~"5.." }[120s]))' +
        ' or sum by (service_name) (rate(http_server_request_duration_seconds_count{ service_name="checkout" }[120s])) * 0)' +
        ' / sum by (service_name) (rate(http_server_request_duration_seconds_count{ service_name="checkout" }[120s]))',
    );
  });

  it('builds p95 from buckets and the mean from sum/count, in ms, over every service when none is asked for', () => {
    expect(renderTemplate(template('service', 'latency_p95_ms'), params)).toBe(
      'histogram_quantile(0.95, sum by (service_name, le) (rate(http_server_request_duration_seconds_bucket{ service_name!="" }[120s]))) * 1000',
    );
    expect(renderTemplate(template('service', 'latency_mean_ms'), { ...params, serviceLabel: 'job' })).toBe(
      'sum by (job) (rate(http_server_request_duration_seconds_sum{ job!="" }[120s])) / sum by (job) (rate(http_server_request_duration_seconds_count{ job!="" }[120s])) * 1000',
    );
  });

  it('selects an edge by caller and server_address, and a host by instance with any port', () => {
    expect(renderTemplate(template('edge', 'throughput_rpm'), { ...params, entity: 'checkout->payment' })).toBe(
      'sum by (service_name, server_address) (rate(http_client_request_duration_seconds_count{ service_name="checkout", server_address="payment" }[120s])) * 60',
    );
    expect(matchers('host', 'job', '10.0.0.5')).toBe('instance=~"10\\\\.0\\\\.0\\\\.5(:[0-9]+)?"');
    expect(renderTemplate(template('host', 'cpu_util'), { ...params, entity: 'db-1' })).toBe(
      '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{ instance=~"db-1(:[0-9]+)?", mode="idle" }[120s])))',
    );
  });

  it('escapes entity names so they cannot break out of the selector', () => {
    const q = renderTemplate(template('service', 'mem_rss_mb'), { ...params, entity: 'a"} or up{x="' });
    expect(q).toBe('sum by (service_name) (process_resident_memory_bytes{ service_name="a\\"} or up{x=\\"" }) / 1048576');
  });

  it('uses a rate window of at least twice the step, and the step for restarts', () => {
    expect(renderTemplate(template('service', 'throughput_rpm'), { ...params, stepMs: 300_000 })).toContain('[600s]');
    expect(renderTemplate(template('service', 'restarts'), params)).toContain('changes(process_start_time_seconds{ service_name!="" }[60s])');
  });

  it('rejects an unknown placeholder', () => {
    expect(() => renderTemplate({ kind: 'service', promql: 'x{ {{servce}} }' }, params)).toThrow(/unknown placeholder \{\{servce\}\}/);
  });

  it('bounds the points of a range by growing the step', () => {
    expect(chooseStep(0, 3_600_000, 60_000, 1_500)).toBe(60_000);
    const day = 86_400_000;
    const step = chooseStep(0, 7 * day, 60_000, 1_000);
    expect(step).toBe(605_000);
    expect(7 * day / step).toBeLessThanOrEqual(1_000);
  });

  it('aligns the half-open range to the step', () => {
    expect(alignRange(90_000, 300_000, 60_000)).toEqual({ startMs: 120_000, endMs: 240_000 });
    expect(alignRange(120_000, 240_001, 60_000)).toEqual({ startMs: 120_000, endMs: 240_000 });
    expect(alignRange(121_000, 179_000, 60_000)).toBeNull();
  });

  it('names entities from result labels', () => {
    expect(entityOf('service', 'service', { service: 'cart', job: 'x' })).toBe('cart');
    expect(entityOf('service', 'service', { job: 'x' })).toBeNull();
    expect(entityOf('host', 'job', { instance: 'db-1:9100' })).toBe('db-1');
    expect(entityOf('edge', 'job', { job: 'web', server_address: 'cart' })).toBe('web->cart');
    expect(stripPort('[::1]:9100')).toBe('::1');
    expect(kindsForEntity('business')).toEqual(['business']);
    expect(kindsForEntity('a->b')).toEqual(['edge']);
    expect(kindsForEntity('->b')).toEqual([]);
    expect(kindsForEntity('cart')).toEqual(['service', 'host']);
  });
});

describe('YAML config', () => {
  it('parses the documented example and applies its overrides, removals and KPIs', () => {
    const text = readFileSync(path.join(import.meta.dirname, '..', 'docs', 'examples', 'sre-copilot.yaml'), 'utf8');
    const section = parseCopilotFileConfig(text).prometheus;
    expect(section.step).toBe(60_000);
    const templates = effectiveTemplates(section);
    expect(templates.find((t) => t.kind === 'business' && t.metric === 'orders_per_minute')?.promql).toContain('shop_orders_total');
    expect(templates.find((t) => t.kind === 'host' && t.metric === 'net_errors')).toBeUndefined();
    expect(templates.find((t) => t.kind === 'service' && t.metric === 'latency_p95_ms')?.promql).toContain('0.95');
  });

  it('defaults everything for an empty file, and says what is wrong with a bad one', () => {
    expect(parseCopilotFileConfig('').prometheus).toMatchObject({ maxSeries: 500, maxPoints: 1_500, rateWindow: 120_000 });
    expect(() => parseCopilotFileConfig('prometheus:\n  kpis:\n    orders: { promql: "sum({{job}})" }\n', 'x.yaml')).toThrow(
      /x\.yaml is invalid \(prometheus\.kpis\.orders.*unknown placeholder/,
    );
    expect(() => parseCopilotFileConfig('prometheus:\n  maxSeries: -1\n')).toThrow(/prometheus\.maxSeries/);
    expect(() => parseCopilotFileConfig('prometheus:\n  metrics:\n    pod: {}\n')).toThrow(/prometheus\.metrics/);
    expect(() => parseCopilotFileConfig('prometheus: [')).toThrow(/not valid YAML/);
  });
});

// A stand-in Prometheus that answers with recorded documents in the API's documented format.
type Handler = (path: string, form: URLSearchParams, res: ServerResponse) => void;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
});

async function fakePrometheus(handler: Handler): Promise<{ url: string; requests: { path: string; form: URLSearchParams }[] }> {
  const requests: { path: string; form: URLSearchParams }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ path: p, form });
      handler(p, form, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** a loopback URL where nothing listens (a port just released) */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

const json = (res: ServerResponse, status: number, doc: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(doc));
};
const matrix = (result: unknown[]) => ({ status: 'success', data: { resultType: 'matrix', result } });
const clientFor = (url: string, over: Partial<ConstructorParameters<typeof PrometheusClient>[0]> = {}) =>
  new PrometheusClient({ url, timeoutMs: 2_000, maxSeries: 10, maxResponseBytes: 100_000, ...over });

describe('Prometheus client', () => {
  it('parses a matrix, skipping NaN samples, and keeps at most maxSeries series', async () => {
    const { url, requests } = await fakePrometheus((_p, _f, res) =>
      json(res, 200, matrix([
        { metric: { service_name: 'a' }, values: [[1700000000, '0.5'], [1700000060, 'NaN'], [1700000120.5, '1e-3']] },
        { metric: { service_name: 'b' }, values: [[1700000000, '+Inf']] },
        { metric: { service_name: 'c' }, values: [[1700000000, '2']] },
      ])),
    );
    const r = await clientFor(url, { maxSeries: 2 }).queryRange('up', 1_700_000_000_000, 1_700_000_120_000, 60_000);
    expect(r.series).toEqual([
      { labels: { service_name: 'a' }, points: [{ ts: 1_700_000_000_000, value: 0.5 }, { ts: 1_700_000_120_500, value: 0.001 }] },
      { labels: { service_name: 'b' }, points: [] },
    ]);
    expect(r.dropped).toBe(1);
    expect(requests[0]!.path).toBe('/api/v1/query_range');
    expect(Object.fromEntries(requests[0]!.form)).toEqual({ query: 'up', start: '1700000000.000', end: '1700000120.000', step: '60.000' });
  });

  it('reads label names and values, sending matchers as match[]', async () => {
    const { url, requests } = await fakePrometheus((p, _f, res) =>
      json(res, 200, { status: 'success', data: p.endsWith('/labels') ? ['__name__', 'job'] : ['api', 'node'] }),
    );
    const c = clientFor(url);
    expect(await c.labels()).toEqual(['__name__', 'job']);
    expect(await c.labelValues('job', ['up'])).toEqual(['api', 'node']);
    expect(requests[1]!.path).toBe('/api/v1/label/job/values');
    expect(requests[1]!.form.getAll('match[]')).toEqual(['up']);
    await expect(c.labelValues('bad/../name')).rejects.toThrow(/not a Prometheus label name/);
  });

  it("turns a 400 into a DataSourceError carrying Prometheus' own message", async () => {
    const { url } = await fakePrometheus((_p, _f, res) =>
      json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:6: parse error: unclosed left parenthesis' }),
    );
    const err = await clientFor(url).query('sum(up').catch((e: unknown) => e);
    expect(isDataSourceError(err)).toBe(true);
    expect((err as Error).message).toBe(
      `metrics source unavailable: ${url}/api/v1/query is invalid (Prometheus refused the request (HTTP 400): bad_data: 1:6: parse error: unclosed left parenthesis)`,
    );
  });

  it('says so when the server is down, answers HTML, answers too much, or does not answer in time', async () => {
    const nowhere = await closedPortUrl();
    await expect(clientFor(nowhere).query('up')).rejects.toThrow(`unreadable (nothing listens at ${nowhere} (connection refused)`);
    const proxy = await fakePrometheus((_p, _f, res) => { res.writeHead(502); res.end('<html>Bad Gateway</html>'); });
    await expect(clientFor(proxy.url).query('up')).rejects.toThrow(/sent HTTP 502 Bad Gateway: "<html>Bad Gateway<\/html>"/);
    const big = await fakePrometheus((_p, _f, res) => json(res, 200, matrix([{ metric: { x: 'y'.repeat(5_000) }, values: [] }])));
    await expect(clientFor(big.url, { maxResponseBytes: 1_000 }).query('up')).rejects.toThrow(/is invalid \(the answer passed the 1000-byte limit; narrow the query\)/);
    const silent = await fakePrometheus(() => undefined);
    await expect(clientFor(silent.url, { timeoutMs: 100 }).query('up')).rejects.toThrow(/did not answer within 100 ms/);
  });

  it('rejects an answer that is not in the API format', async () => {
    const { url } = await fakePrometheus((_p, _f, res) => json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [{ values: 3 }] } }));
    await expect(clientFor(url).query('up')).rejects.toThrow(/is invalid \(unexpected answer from \/api\/v1\/query: /);
  });
});

describe('PrometheusMetricsSource', () => {
  const labelsThen = (names: string[], onQuery: (q: string, res: ServerResponse) => void): Handler => (p, form, res) => {
    if (p === '/api/v1/labels') return json(res, 200, { status: 'success', data: names });
    onQuery(form.get('query') ?? '', res);
  };

  it('falls back to the "service" label, maps results into the vocabulary and keeps the half-open range', async () => {
    const { url, requests } = await fakePrometheus(
      labelsThen(['__name__', 'instance', 'job', 'service'], (q, res) =>
        json(res, 200, matrix(q.includes('process_resident_memory_bytes')
          ? [{ metric: { service: 'cart' }, values: [[60, '12.5'], [120, '13'], [180, '14']] }, { metric: { service: 'web' }, values: [[60, '3']] }]
          : [])),
      ),
    );
    const source = new PrometheusMetricsSource({ url });
    expect(await source.query({ entity: 'cart', metric: 'mem_rss_mb', fromMs: 60_000, toMs: 180_000 })).toEqual([
      { entity: 'cart', metric: 'mem_rss_mb', points: [{ ts: 60_000, value: 12.5 }, { ts: 120_000, value: 13 }] },
    ]);
    const sent = requests.filter((r) => r.path === '/api/v1/query_range').map((r) => r.form.get('query'));
    // one query: the one template for that metric, narrowed to that entity
    expect(sent).toEqual([
      'sum by (service) (process_resident_memory_bytes{ service="cart" }) / 1048576',
    ]);
  });

  it('asks only the KPI templates for "business" and turns nothing configured into no series', async () => {
    const { url, requests } = await fakePrometheus(labelsThen(['job'], (_q, res) => json(res, 200, matrix([{ metric: {}, values: [[120, '42']] }]))));
    const source = new PrometheusMetricsSource({ url, kpis: { orders_per_minute: { promql: 'sum(rate(shop_orders_total[{{range}}])) * 60' } } });
    expect(await source.query({ entity: 'business', fromMs: 0, toMs: 180_000 })).toEqual([
      { entity: 'business', metric: 'orders_per_minute', points: [{ ts: 120_000, value: 42 }] },
    ]);
    expect(requests.filter((r) => r.path === '/api/v1/query_range').map((r) => r.form.get('query'))).toEqual(['sum(rate(shop_orders_total[120s])) * 60']);
    expect(await new PrometheusMetricsSource({ url }).query({ entity: 'business', fromMs: 0, toMs: 180_000 })).toEqual([]);
  });

  it('asks the server once when the same range is read again right away (several experts read one range)', async () => {
    const { url, requests } = await fakePrometheus(labelsThen(['job'], (_q, res) => json(res, 200, matrix([{ metric: {}, values: [[60, '1']] }]))));
    const source = new PrometheusMetricsSource({ url, kpis: { good: { promql: 'sum(good)' } } });
    const read = () => source.query({ entity: 'business', fromMs: 0, toMs: 120_000 });
    expect(await read()).toEqual(await read());
    expect(requests.filter((r) => r.path === '/api/v1/query_range')).toHaveLength(1);
    await source.query({ entity: 'business', fromMs: 0, toMs: 180_000 });
    expect(requests.filter((r) => r.path === '/api/v1/query_range')).toHaveLength(2);
  });

  it('keeps the answers of good templates when one is rejected, and throws when all fail', async () => {
    const { url } = await fakePrometheus(labelsThen(['service_name'], (q, res) =>
      q.includes('broken')
        ? json(res, 400, { status: 'error', errorType: 'bad_data', error: 'unknown function broken' })
        : json(res, 200, matrix([{ metric: {}, values: [[60, '7']] }])),
    ));
    const source = new PrometheusMetricsSource({ url, kpis: { good: { promql: 'sum(good)' }, bad: { promql: 'broken(x)' } } });
    expect(await source.query({ entity: 'business', fromMs: 0, toMs: 120_000 })).toEqual([{ entity: 'business', metric: 'good', points: [{ ts: 60_000, value: 7 }] }]);
    expect(source.warnings()).toEqual([expect.stringMatching(/^business bad: .*unknown function broken/)]);
    const down = new PrometheusMetricsSource({ url: await closedPortUrl() });
    await expect(down.query({ fromMs: 0, toMs: 120_000 })).rejects.toThrow(/connection refused/);
  });
});

describe('PrometheusTopology', () => {
  it('builds services, dependencies (unknown callees as external), hosts and placements from instant queries', async () => {
    const vector = (result: { metric: Record<string, string>; value: string }[]) =>
      ({ status: 'success', data: { resultType: 'vector', result: result.map((r) => ({ metric: r.metric, value: [100, r.value] })) } });
    const { url } = await fakePrometheus((p, form, res) => {
      if (p === '/api/v1/labels') return json(res, 200, { status: 'success', data: ['service_name', 'instance'] });
      const q = form.get('query') ?? '';
      if (q.includes('http_server')) return json(res, 200, vector([{ metric: { service_name: 'web' }, value: '1' }, { metric: { service_name: 'cart' }, value: '1' }]));
      if (q.includes('process_cpu')) return json(res, 200, vector([{ metric: { service_name: 'cart', instance: 'node-a:8080' }, value: '1' }, { metric: { service_name: 'cart', instance: 'elsewhere:8080' }, value: '1' }]));
      if (q.includes('http_client')) {
        return json(res, 200, vector([
          { metric: { service_name: 'web', server_address: 'cart' }, value: '1' },
          { metric: { service_name: 'cart', server_address: 'api.bank.example' }, value: '1' },
          { metric: { service_name: 'cart', server_address: 'cart' }, value: '1' },
        ]));
      }
      if (q.includes('node_cpu')) return json(res, 200, vector([{ metric: { instance: 'node-a:9100' }, value: '8' }]));
      if (q.includes('MemTotal')) return json(res, 200, vector([{ metric: { instance: 'node-a:9100' }, value: String(16 * 1024 ** 3) }]));
      return json(res, 200, vector([{ metric: { instance: 'node-a:9100' }, value: String(100 * 1024 ** 3) }]));
    });
    const cmdb = await new PrometheusTopology(new PrometheusMetricsSource({ url })).snapshot();
    expect(cmdb).toEqual({
      services: [
        { name: 'api.bank.example', kind: 'external', tier: 2, owner: 'unknown', hosts: [], dependsOn: [] },
        { name: 'cart', kind: 'service', tier: 2, owner: 'unknown', hosts: ['node-a'], dependsOn: ['api.bank.example'] },
        { name: 'web', kind: 'service', tier: 2, owner: 'unknown', hosts: [], dependsOn: ['cart'] },
      ],
      hosts: [{ name: 'node-a', zone: 'unknown', cpus: 8, memoryGb: 16, diskGb: 100 }],
      changes: [],
    });
  });
});

describe('wiring', () => {
  const yamlFile = (text: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sre-copilot-cfg-')), 'sre-copilot.yaml');
    writeFileSync(file, text);
    return file;
  };

  it('takes limits from the YAML file and lets PROMETHEUS_URL win over its url', () => {
    const configFile = yamlFile('prometheus:\n  url: http://from-yaml:9090\n  maxSeries: 7\n');
    expect(prometheusSourceFromSettings({ configFile })?.client.options).toMatchObject({ url: 'http://from-yaml:9090', maxSeries: 7 });
    expect(prometheusSourceFromSettings({ configFile, prometheusUrl: 'http://env:9090' })?.client.options.url).toBe('http://env:9090');
    expect(prometheusSourceFromSettings({})).toBeNull();
    expect(() => prometheusSourceFromSettings({ configFile: yamlFile('prometheus:\n  step: soon\n') })).toThrow(/prometheus\.step: a duration like/);
    expect(() => prometheusSourceFromSettings({ configFile: '/nonexistent/sre.yaml' })).toThrow(/cannot read \/nonexistent\/sre\.yaml \(ENOENT\)/);
  });

  it('registers the "prometheus" connector kind: its metrics, a CMDB discovered from them, empty logs and traces', async () => {
    expect(() => createConnectors({ kind: 'prometheus' })).toThrow(/needs a "url"/);
    const c = createConnectors({ kind: 'prometheus', url: 'http://127.0.0.1:9090' });
    expect(c.metrics).toBeInstanceOf(PrometheusMetricsSource);
    expect(await c.logs.read({ fromMs: 0, toMs: 1 })).toEqual([]);
    expect(c.cmdb).toBeInstanceOf(PrometheusTopology);
    expect(await c.traces.spans({ fromMs: 0, toMs: 1 })).toEqual([]);
  });
});
