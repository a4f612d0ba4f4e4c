import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeMetrics, decodeTraces, OtlpDecodeError, OtlpStore, otlpRoutes, topologyFromSpans } from '../src/connectors/otlp/index.js';
import { bucketQuantile, MAX_CUMULATIVE_STREAMS } from '../src/connectors/otlp/metrics.js';
import { otlpMessageTypes } from '../src/connectors/otlp/proto-root.js';
import { loadConfig } from '../src/config.js';
import type { Span } from '../src/model/telemetry.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const resource = (service: string, extra: object[] = []) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }, ...extra] });
const tracesBody = (service: string, spans: unknown[]) => ({ resourceSpans: [{ resource: resource(service), scopeSpans: [{ scope: { name: 't' }, spans }] }] });

describe('OTLP/JSON traces', () => {
  it('maps hex ids, nanosecond strings and numbers, kinds, status and attributes', () => {
    const decoded = decodeTraces(
      json(
        tracesBody('checkout', [
          {
            traceId: TRACE.toUpperCase(),
            spanId: 'eee19b7ec3c1b174',
            parentSpanId: '',
            name: 'POST /pay',
            kind: 2,
            startTimeUnixNano: '1700000000123456789',
            endTimeUnixNano: 1700000000223456800,
            status: { code: 2, message: 'card declined' },
            attributes: [
              { key: 'http.response.status_code', value: { intValue: '502' } },
              { key: 'retry', value: { boolValue: true } },
              { key: 'ratio', value: { doubleValue: 0.5 } },
              { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } } },
              { key: 'blob', value: { bytesValue: 'AQI=' } },
            ],
          },
          { traceId: TRACE, spanId: 'aaa19b7ec3c1b174', parentSpanId: 'eee19b7ec3c1b174', name: 'db', kind: 'SPAN_KIND_CLIENT', startTimeUnixNano: '1700000000150000000', endTimeUnixNano: '1700000000160000000' },
        ]),
      ),
      'json',
    );
    expect(decoded.rejected).toBe(0);
    const [server, client] = decoded.items;
    expect(server).toMatchObject({ traceId: TRACE, spanId: 'eee19b7ec3c1b174', service: 'checkout', kind: 'SERVER', status: 'ERROR', name: 'POST /pay' });
    expect(server?.parentSpanId).toBeUndefined();
    expect(server?.startMs).toBeCloseTo(1_700_000_000_123.4568, 3);
    expect((server?.endMs ?? 0) - (server?.startMs ?? 0)).toBeCloseTo(100, 3);
    expect(server?.attributes).toEqual({
      'http.response.status_code': 502,
      retry: true,
      ratio: 0.5,
      tags: '["a",2]',
      blob: 'AQI=',
      'otel.status_description': 'card declined',
    });
    expect(client).toMatchObject({ kind: 'CLIENT', parentSpanId: 'eee19b7ec3c1b174', status: 'UNSET' });
  });

  it('rejects invalid spans one by one (partial success) and whole requests that are not OTLP', () => {
    const decoded = decodeTraces(
      json(
        tracesBody('a', [
          { traceId: TRACE, spanId: '0000000000000000', name: 'zero id', startTimeUnixNano: '1', endTimeUnixNano: '2' },
          { traceId: 'xyz', spanId: 'eee19b7ec3c1b174', name: 'bad trace', startTimeUnixNano: '1', endTimeUnixNano: '2' },
          { traceId: TRACE, spanId: 'eee19b7ec3c1b174', name: 'no times' },
          { traceId: TRACE, spanId: 'eee19b7ec3c1b174', name: 'ok', startTimeUnixNano: '1', endTimeUnixNano: '2' },
        ]),
      ),
      'json',
    );
    expect(decoded.items.map((s) => s.name)).toEqual(['ok']);
    expect(decoded.rejected).toBe(3);
    expect(decoded.rejectReason).toMatch(/spanId/);
    expect(() => decodeTraces(json({ resourceSpans: 'nope' }), 'json')).toThrow(OtlpDecodeError);
    expect(() => decodeTraces(new TextEncoder().encode('{not json'), 'json')).toThrow(/not JSON/);
  });

  it('names the service unknown_service when the resource has no service.name', () => {
    const decoded = decodeTraces(json({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: 'eee19b7ec3c1b174', name: 'x', startTimeUnixNano: 1, endTimeUnixNano: 2 }] }] }] }), 'json');
    expect(decoded.items[0]?.service).toBe('unknown_service');
  });
});

describe('OTLP logs and metrics', () => {
  it('maps severity numbers and text to levels, bodies to messages, and falls back to the observed time', () => {
    const body = {
      resourceLogs: [
        {
          resource: resource('payment', [{ key: 'host.name', value: { stringValue: 'node-1' } }]),
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: '1700000000000000000', severityNumber: 17, body: { stringValue: 'NullPointerException' }, traceId: TRACE, spanId: 'eee19b7ec3c1b174' },
                { observedTimeUnixNano: 1700000001000000000, severityText: 'warning', body: { kvlistValue: { values: [{ key: 'k', value: { intValue: 1 } }] } } },
                { timeUnixNano: '1700000002000000000', severityNumber: 3 },
                { timeUnixNano: '1700000003000000000', severityNumber: 'SEVERITY_NUMBER_FATAL' },
                { timeUnixNano: '1700000004000000000', traceId: 'short' },
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeLogs(json(body), 'json');
    expect(decoded.items.map((r) => [r.level, r.message, r.ts])).toEqual([
      ['ERROR', 'NullPointerException', 1_700_000_000_000],
      ['WARN', '{"k":1}', 1_700_000_001_000],
      ['DEBUG', '', 1_700_000_002_000],
      ['FATAL', '', 1_700_000_003_000],
    ]);
    expect(decoded.items[0]).toMatchObject({ service: 'payment', host: 'node-1', traceId: TRACE });
    expect(decoded.rejected).toBe(1);
  });

  it('turns the HTTP server duration histogram into throughput, error rate and p95 latency per service', () => {
    const point = (status: number, counts: number[], minute: number) => ({
      attributes: [{ key: 'http.response.status_code', value: { intValue: status } }],
      startTimeUnixNano: String(1_700_000_000_000_000_000),
      timeUnixNano: String(1_700_000_000_000_000_000 + minute * 60e9),
      count: String(counts.reduce((a, b) => a + b, 0)),
      bucketCounts: counts.map(String),
      explicitBounds: [0.1, 0.5, 1],
    });
    const request = (minute: number, ok: number[], failed: number[]) =>
      json({
        resourceMetrics: [
          {
            resource: resource('api'),
            scopeMetrics: [
              {
                metrics: [
                  { name: 'http.server.request.duration', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [point(200, ok, minute), point(503, failed, minute)] } },
                  { name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: String(1_700_000_000_000_000_000 + minute * 60e9), asInt: '7' }] } },
                ],
              },
            ],
          },
        ],
      });
    const store = new OtlpStore(undefined, () => 1_700_000_000_000);
    const first = decodeMetrics(request(1, [80, 10, 0, 0], [10, 0, 0, 0]), 'json', store.cumulative);
    // cumulative: the second minute's counts are the difference to the first's
    const second = decodeMetrics(request(2, [160, 20, 10, 0], [10, 0, 0, 0]), 'json', store.cumulative);
    const byMetric = (items: typeof first.items) => Object.fromEntries(items.map((p) => [p.metric, p.value]));
    expect(byMetric(first.items)).toMatchObject({ throughput_rpm: 100, error_rate: 0.1, 'queue.depth': 7 });
    const m2 = byMetric(second.items);
    expect(m2['throughput_rpm']).toBe(100);
    expect(m2['error_rate']).toBe(0);
    // 100 requests: 80 ≤ 100 ms, 10 ≤ 500 ms, 10 ≤ 1 s → the 95th lies halfway into the last bounded bucket
    expect(m2['latency_p95_ms']).toBeCloseTo(750, 6);
  });

  it('remembers a bounded number of cumulative streams', () => {
    const state = new OtlpStore().cumulative;
    const dataPoints = Array.from({ length: MAX_CUMULATIVE_STREAMS + 5 }, (_, i) => ({
      attributes: [{ key: 'http.route', value: { stringValue: `/r/${i}` } }],
      timeUnixNano: '1700000060000000000',
      count: '1',
      bucketCounts: ['1'],
    }));
    const body = json({ resourceMetrics: [{ resource: resource('api'), scopeMetrics: [{ metrics: [{ name: 'http.server.request.duration', histogram: { aggregationTemporality: 2, dataPoints } }] }] }] });
    decodeMetrics(body, 'json', state);
    expect(state.size).toBe(MAX_CUMULATIVE_STREAMS);
    expect([...state.keys()].some((k) => k.includes('"/r/0"'))).toBe(false);
  });

  it('estimates quantiles from explicit buckets', () => {
    expect(bucketQuantile([10, 20], [0, 10, 0], 0.5)).toBe(15);
    expect(bucketQuantile([10], [0, 4], 0.9)).toBe(10);
    expect(bucketQuantile([10], [0, 0], 0.9)).toBeUndefined();
  });
});

const span = (over: Partial<Span>): Span => ({
  traceId: TRACE,
  spanId: '0000000000000001',
  service: 'a',
  name: 'x',
  kind: 'INTERNAL',
  startMs: 0,
  endMs: 10,
  status: 'UNSET',
  attributes: {},
  ...over,
});

describe('OtlpStore', () => {
  it('drops the oldest spans at the size bound and serves the rest through TraceSource', async () => {
    const store = new OtlpStore({ maxSpans: 3, maxLogs: 2, maxPoints: 2, maxAgeMinutes: 60 }, () => 1_000);
    store.addSpans([1, 2, 3, 4, 5].map((i) => span({ spanId: `000000000000000${i}`, startMs: i * 100, service: i % 2 ? 'odd' : 'even' })));
    const held = await store.traces.spans({ fromMs: 0, toMs: 10_000 });
    expect(held.map((s) => s.spanId.slice(-1))).toEqual(['3', '4', '5']);
    expect((await store.traces.spans({ fromMs: 0, toMs: 10_000, service: 'odd' })).map((s) => s.startMs)).toEqual([300, 500]);
    expect((await store.traces.spans({ fromMs: 300, toMs: 500 })).map((s) => s.startMs)).toEqual([300, 400]);
    expect(store.stats()).toMatchObject({ spans: 3, droppedSpans: 2 });
  });

  it('drops what was received longer ago than the age limit, also on read', async () => {
    let now = 0;
    const store = new OtlpStore({ maxSpans: 100, maxLogs: 100, maxPoints: 100, maxAgeMinutes: 10 }, () => now);
    store.addLogs([{ ts: 1, service: 'a', level: 'INFO', message: 'old' }]);
    now = 5 * 60_000;
    store.addLogs([{ ts: 2, service: 'b', level: 'ERROR', message: 'new' }]);
    store.addPoints([{ entity: 'b', metric: 'm', ts: 2, value: 1 }]);
    now = 11 * 60_000;
    expect((await store.logs.read({ fromMs: 0, toMs: 10 })).map((r) => r.message)).toEqual(['new']);
    expect(await store.logs.services?.()).toEqual(['b']);
    expect(await store.metrics.query({ fromMs: 0, toMs: 10, entity: 'b' })).toEqual([{ entity: 'b', metric: 'm', points: [{ ts: 2, value: 1 }] }]);
    now = 16 * 60_000;
    expect(store.stats()).toMatchObject({ logs: 0, points: 0, droppedLogs: 2, droppedPoints: 1 });
  });
});

describe('topologyFromSpans', () => {
  it('derives caller → callee edges from cross-service parents and from client peer attributes', () => {
    const spans: Span[] = [
      span({ spanId: '0000000000000001', service: 'frontend', kind: 'SERVER', startMs: 0, endMs: 100 }),
      span({ spanId: '0000000000000002', parentSpanId: '0000000000000001', service: 'frontend', kind: 'CLIENT', startMs: 10, endMs: 90, status: 'ERROR' }),
      span({ spanId: '0000000000000003', parentSpanId: '0000000000000002', service: 'checkout', kind: 'SERVER', startMs: 20, endMs: 80 }),
      span({ spanId: '0000000000000004', parentSpanId: '0000000000000003', service: 'checkout', kind: 'CLIENT', startMs: 30, endMs: 40, attributes: { 'db.system.name': 'postgresql' } }),
      span({ traceId: 'f'.repeat(32), spanId: '0000000000000005', service: 'frontend', kind: 'CLIENT', startMs: 0, endMs: 20 }),
      span({ traceId: 'f'.repeat(32), spanId: '0000000000000006', parentSpanId: '0000000000000005', service: 'checkout', kind: 'SERVER', startMs: 2, endMs: 18 }),
    ];
    const edges = topologyFromSpans(spans, { fromMs: 0, toMs: 120_000 });
    expect(edges.map((e) => `${e.caller}->${e.callee}:${e.source}`)).toEqual(['checkout->postgresql:peer', 'frontend->checkout:spans']);
    const call = edges.find((e) => e.callee === 'checkout');
    expect(call).toMatchObject({ calls: 2, errors: 1, errorRatio: 0.5, ratePerMinute: 1, latencyP95Ms: 80, latencyMeanMs: 50 });
  });
});

describe('OTLP/HTTP handlers', () => {
  const store = new OtlpStore();
  const routes = Object.fromEntries(otlpRoutes(store).map((r) => [r.path, r]));
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    Promise.resolve(routes[path]?.handle(new Request(`http://x${path}`, { method: 'POST', body, headers })) as Promise<Response>);
  const types = otlpMessageTypes();

  it('accepts gzip-compressed protobuf and answers with an empty protobuf response', async () => {
    const message = types.traceRequest.fromObject(
      tracesBody('proto-svc', [{ traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from('eee19b7ec3c1b174', 'hex'), name: 'p', kind: 3, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000500000000', status: { code: 2 } }]),
    );
    const res = await post('/v1/traces', gzipSync(types.traceRequest.encode(message).finish()), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(types.traceResponse.toObject(types.traceResponse.decode(new Uint8Array(await res.arrayBuffer())))).toEqual({});
    const [held] = store.spans({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, service: 'proto-svc' });
    expect(held).toMatchObject({ traceId: TRACE, kind: 'CLIENT', status: 'ERROR', startMs: 1_700_000_000_000, endMs: 1_700_000_000_500 });
  });

  it('reports rejected records as partial success in the request encoding', async () => {
    const res = await post('/v1/traces', JSON.stringify(tracesBody('a', [{ traceId: 'bad', spanId: 'bad', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }])), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringMatching(/traceId/) } });
    const logs = types.logsRequest.encode(types.logsRequest.fromObject({
        resourceLogs: [
          {
            resource: resource('pb-logs'),
            scopeLogs: [{ logRecords: [{ traceId: Buffer.alloc(3, 1), body: { stringValue: 'x' } }, { timeUnixNano: '1700000000000000000', severityNumber: 13, body: { stringValue: 'pool at 95%' } }] }],
          },
        ],
      })).finish();
    const res2 = await post('/v1/logs', logs, { 'content-type': 'application/x-protobuf' });
    const answer = types.logsResponse.toObject(types.logsResponse.decode(new Uint8Array(await res2.arrayBuffer())), { longs: Number });
    expect(answer).toEqual({ partialSuccess: { rejectedLogRecords: 1, errorMessage: expect.stringMatching(/traceId/) } });
    expect(await store.logs.read({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, service: 'pb-logs' })).toEqual([{ ts: 1_700_000_000_000, service: 'pb-logs', level: 'WARN', message: 'pool at 95%' }]);
  });

  it('answers 400 with a Status on malformed bodies, 415 on other content types and encodings', async () => {
    const bad = await post('/v1/metrics', new Uint8Array([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    expect(bad.status).toBe(400);
    expect(types.status.toObject(types.status.decode(new Uint8Array(await bad.arrayBuffer())))).toMatchObject({ code: 3, message: expect.stringMatching(/protobuf/) });
    const badJson = await post('/v1/logs', '{"resourceLogs": 3}', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 3, message: expect.stringMatching(/resourceLogs/) });
    expect((await post('/v1/traces', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/traces', '{}', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('/v1/traces', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
  });

  it('stores metric points from protobuf (oneof number values, fixed64 histogram counts)', async () => {
    const t = (minute: number) => String(1_700_000_000_000_000_000 + minute * 60e9);
    const message = types.metricsRequest.fromObject({
      resourceMetrics: [
        {
          resource: resource('pb-metrics'),
          scopeMetrics: [
            {
              metrics: [
                { name: 'process.cpu.utilization', gauge: { dataPoints: [{ timeUnixNano: t(1), asDouble: 0.25 }] } },
                { name: 'jobs.done', sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ timeUnixNano: t(1), asInt: 42 }] } },
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: { aggregationTemporality: 1, dataPoints: [{ startTimeUnixNano: t(0), timeUnixNano: t(1), count: 20, bucketCounts: [20, 0], explicitBounds: [0.2] }] },
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await post('/v1/metrics', types.metricsRequest.encode(message).finish(), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const series = await store.metrics.query({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, entity: 'pb-metrics' });
    const last = Object.fromEntries(series.map((s) => [s.metric, s.points.at(-1)?.value]));
    expect(last).toMatchObject({ 'process.cpu.utilization': 0.25, 'jobs.done': 42, throughput_rpm: 20, error_rate: 0 });
    expect(last['latency_p95_ms']).toBeCloseTo(190, 6);
  });

  it('refuses a body that decompresses past the limit', async () => {
    const small = otlpRoutes(new OtlpStore(), { maxBodyBytes: 1024 }).find((r) => r.path === '/v1/traces');
    const bomb = gzipSync(Buffer.from(JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(100_000) })));
    const res = await small?.handle(new Request('http://x/v1/traces', { method: 'POST', body: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }));
    expect(res?.status).toBe(413);
  });
});

describe('OTLP configuration', () => {
  it('reads the store bounds and the body limit from the environment, with defaults', () => {
    expect(loadConfig({}).otlp).toEqual({ maxSpans: 200_000, maxLogs: 200_000, maxPoints: 500_000, maxAgeMinutes: 180, maxBodyBytes: 20 * 1024 * 1024 });
    const custom = loadConfig({ SRE_COPILOT_OTLP_MAX_SPANS: '1000', SRE_COPILOT_OTLP_MAX_AGE_MINUTES: '30', SRE_COPILOT_OTLP_MAX_BODY_MB: '4' }).otlp;
    expect(custom).toMatchObject({ maxSpans: 1000, maxAgeMinutes: 30, maxBodyBytes: 4 * 1024 * 1024 });
    expect(() => loadConfig({ SRE_COPILOT_OTLP_MAX_SPANS: '0' })).toThrow(/SRE_COPILOT_OTLP_MAX_SPANS/);
  });
});
