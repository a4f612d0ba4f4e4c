import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createJaegerTraceSource } from '../src/connectors/jaeger/index.js';
import { DataSourceError } from '../src/connectors/types.js';
import { fixture, refusedUrl, sendJson, sendText, startFixtureServer, type FixtureServer, type RecordedRequest } from './fixtures/loki/fixture-server.js';

// Jaeger is not installable here: these tests serve responses hand-written from Jaeger's query HTTP JSON API docs
// (test/fixtures/jaeger/README.md), never captured from a live server.

const FROM = Date.UTC(2026, 10, 20, 13, 0, 0);
const TO = FROM + 10 * 60_000;

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function jaeger(req: RecordedRequest, res: ServerResponse): void {
  if (req.path === '/api/services') return sendJson(res, 200, fixture('jaeger', 'services.json'));
  if (req.path === '/api/traces') return sendJson(res, 200, fixture('jaeger', 'traces.json'));
  sendText(res, 404, '404 page not found');
}

async function failure(p: Promise<unknown>): Promise<DataSourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataSourceError);
  return err as DataSourceError;
}

describe('Jaeger trace source over recorded responses', () => {
  it('searches one service in microseconds and maps spans: service from processes, CHILD_OF parent, kind, status, typed tags', async () => {
    server = await startFixtureServer(jaeger);
    const spans = await createJaegerTraceSource({ url: server.url }).spans({ service: 'checkout', fromMs: FROM, toMs: TO });

    expect(server.requests).toHaveLength(1);
    const q = server.requests[0]!;
    expect(q.path).toBe('/api/traces');
    expect(Object.fromEntries(q.query)).toEqual({ service: 'checkout', start: String(FROM * 1000), end: String(TO * 1000), limit: '200' });

    // only checkout's spans, oldest first (the frontend root span of the same trace is left out, as the file source does)
    expect(spans.map((s) => [s.service, s.name, s.kind, s.status])).toEqual([
      ['checkout', 'load cart', 'INTERNAL', 'OK'],
      ['checkout', 'POST /authorize', 'CLIENT', 'ERROR'],
      ['checkout', 'process order', 'CONSUMER', 'UNSET'],
    ]);
    const [cart, authorize, order] = spans;
    expect(authorize).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '53995c3f42cd8ad8',
      parentSpanId: '00f067aa0ba902b7',
      startMs: FROM + 60_010,
      endMs: FROM + 60_210,
    });
    expect(cart!.attributes).toEqual({ 'db.system': 'redis', 'cache.hit_ratio': 0.75, 'otel.status_code': 'OK' });
    expect(cart!.endMs - cart!.startMs).toBeCloseTo(4.5, 6);
    // a FOLLOWS_FROM link is still the span's parent when it is the only reference
    expect(order!.parentSpanId).toBe('1111111111111111');
  });

  it('without a service: searches every service Jaeger lists, one trace counted once', async () => {
    server = await startFixtureServer(jaeger);
    const spans = await createJaegerTraceSource({ url: server.url }).spans({ fromMs: FROM, toMs: TO });
    expect(server.requests[0]!.path).toBe('/api/services');
    // searches run a few at a time, so they may arrive in any order
    expect(server.requests.slice(1).map((r) => r.query.get('service')).sort()).toEqual(['checkout', 'frontend', 'jaeger-all-in-one']);
    expect(spans).toHaveLength(4);
    const root = spans.find((s) => s.name === 'GET /checkout')!;
    expect(root).toMatchObject({ service: 'frontend', kind: 'SERVER', status: 'ERROR', startMs: FROM + 60_000, endMs: FROM + 60_250 });
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes['http.status_code']).toBe(503);
    expect(await createJaegerTraceSource({ url: server.url }).services()).toEqual(['checkout', 'frontend', 'jaeger-all-in-one']);
  });

  it('keeps spans that start inside the window only, and at most maxTraces traces', async () => {
    server = await startFixtureServer(jaeger);
    const source = createJaegerTraceSource({ url: server.url, maxTraces: 1 });
    const early = await source.spans({ service: 'checkout', fromMs: FROM, toMs: FROM + 60_005 });
    expect(early.map((s) => s.name)).toEqual(['load cart']);
    expect(server.requests[0]!.query.get('limit')).toBe('1');
    const all = await source.spans({ service: 'checkout', fromMs: FROM, toMs: TO });
    expect(new Set(all.map((s) => s.traceId))).toEqual(new Set(['4bf92f3577b34da6a3ce929d0e0e4736']));
  });

  it('400 shows Jaeger\'s error message from its envelope', async () => {
    server = await startFixtureServer((_req, res) =>
      sendJson(res, 400, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 400, msg: 'parameter \'service\' is required' }] }),
    );
    const err = await failure(createJaegerTraceSource({ url: server.url }).spans({ service: 'x', fromMs: FROM, toMs: TO }));
    expect(err.source).toBe('traces');
    expect(err.path).toBe(`${server.url}/api/traces`);
    expect(err.message).toContain("HTTP 400: parameter 'service' is required");
  });

  it('a 200 whose envelope carries errors is not taken as an empty answer', async () => {
    server = await startFixtureServer((_req, res) =>
      sendJson(res, 200, { data: [], total: 0, limit: 0, offset: 0, errors: [{ code: 500, msg: 'cassandra: no hosts available' }] }),
    );
    const err = await failure(createJaegerTraceSource({ url: server.url }).spans({ service: 'x', fromMs: FROM, toMs: TO }));
    expect(err.message).toContain('500 cassandra: no hosts available');
  });

  it('500 with a body, refused connection, a silent server, a body of the wrong shape', async () => {
    server = await startFixtureServer((req, res) => {
      if (req.query.get('service') === 'broken') return sendText(res, 500, 'storage backend unavailable');
      if (req.query.get('service') === 'silent') return;
      sendJson(res, 200, { data: [{ traceID: 'abc', spans: [{ spanID: 'x' }] }], errors: null });
    });
    const source = createJaegerTraceSource({ url: server.url, timeoutMs: 150 });
    expect((await failure(source.spans({ service: 'broken', fromMs: FROM, toMs: TO }))).message).toContain('HTTP 500: storage backend unavailable');
    expect((await failure(source.spans({ service: 'silent', fromMs: FROM, toMs: TO }))).message).toContain('no answer within 150 ms');
    const shape = await failure(source.spans({ service: 'other', fromMs: FROM, toMs: TO }));
    expect(shape.reason).toBe('invalid');
    expect(shape.message).toContain('unexpected response at data.0.spans.0');
    const refused = await failure(createJaegerTraceSource({ url: await refusedUrl() }).services());
    expect(refused.message).toContain('connection refused');
  });
});
