import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempoTraceSource, toHexId } from '../src/connectors/tempo/index.js';
import { DataSourceError } from '../src/connectors/types.js';
import { fixture, refusedUrl, sendJson, sendText, startFixtureServer, type FixtureServer, type RecordedRequest } from './fixtures/loki/fixture-server.js';

// Tempo is not installable here: these tests serve responses hand-written from Tempo's HTTP API docs
// (test/fixtures/tempo/README.md), never captured from a live server.

const FROM = Date.UTC(2026, 10, 20, 13, 0, 0);
const TO = FROM + 10 * 60_000;
const CHECKOUT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ORDER_TRACE_SEARCH_ID = 'af7651916cd43dd8448eb211c80319c'; // Tempo's search drops the leading zero

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function tempo(req: RecordedRequest, res: ServerResponse): void {
  if (req.path === '/api/search') return sendJson(res, 200, fixture('tempo', 'search.json'));
  if (req.path === `/api/traces/${CHECKOUT_TRACE}`) return sendJson(res, 200, fixture('tempo', 'trace-checkout.json'));
  if (req.path === `/api/traces/${ORDER_TRACE_SEARCH_ID}`) return sendJson(res, 200, fixture('tempo', 'trace-legacy.json'));
  sendText(res, 404, 'trace not found');
}

async function failure(p: Promise<unknown>): Promise<DataSourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataSourceError);
  return err as DataSourceError;
}

describe('Tempo trace source over recorded responses', () => {
  it('searches by service.name in seconds, fetches each trace, maps OTLP JSON (base64 ids, enum names) to spans', async () => {
    server = await startFixtureServer(tempo);
    const spans = await createTempoTraceSource({ url: server.url }).spans({ service: 'checkout', fromMs: FROM, toMs: TO });

    const search = server.requests.find((r) => r.path === '/api/search')!;
    expect(Object.fromEntries(search.query)).toEqual({
      tags: 'service.name=checkout',
      start: String(FROM / 1000),
      end: String(TO / 1000),
      limit: '100',
    });
    const byId = server.requests.filter((r) => r.path.startsWith('/api/traces/'));
    expect(byId.map((r) => r.path).sort()).toEqual([`/api/traces/${CHECKOUT_TRACE}`, `/api/traces/${ORDER_TRACE_SEARCH_ID}`]);
    expect(byId[0]!.query.get('start')).toBe(String(FROM / 1000));

    expect(spans).toEqual([
      {
        traceId: CHECKOUT_TRACE,
        spanId: '53995c3f42cd8ad8',
        parentSpanId: '00f067aa0ba902b7',
        service: 'checkout',
        name: 'POST /authorize',
        kind: 'CLIENT',
        startMs: FROM + 60_010,
        endMs: FROM + 60_210,
        status: 'ERROR',
        attributes: { 'peer.service': 'payments', retry: true },
      },
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        service: 'checkout',
        name: 'process order',
        kind: 'CONSUMER',
        startMs: FROM + 100_000,
        endMs: FROM + 100_001,
        status: 'UNSET',
        attributes: { 'messaging.system': 'kafka' },
      },
    ]);
  });

  it('without a service: no tag filter, every service\'s spans; a root span has no parent', async () => {
    server = await startFixtureServer(tempo);
    const spans = await createTempoTraceSource({ url: server.url }).spans({ fromMs: FROM, toMs: TO });
    expect(server.requests.find((r) => r.path === '/api/search')!.query.has('tags')).toBe(false);
    expect(spans.map((s) => s.service)).toEqual(['frontend', 'checkout', 'checkout']);
    expect(spans[0]).toMatchObject({ spanId: '00f067aa0ba902b7', kind: 'SERVER', status: 'ERROR' });
    expect(spans[0]!.parentSpanId).toBeUndefined();
    expect(spans[0]!.attributes['http.response.status_code']).toBe(503);
  });

  it('a trace the search saw but that is gone (404) is skipped; maxTraces bounds the search and the fetches', async () => {
    server = await startFixtureServer((req, res) =>
      req.path === `/api/traces/${CHECKOUT_TRACE}` ? sendText(res, 404, 'trace not found') : tempo(req, res),
    );
    const spans = await createTempoTraceSource({ url: server.url }).spans({ fromMs: FROM, toMs: TO });
    expect(spans.map((s) => s.name)).toEqual(['process order']);

    server.requests.length = 0;
    const capped = await createTempoTraceSource({ url: server.url, maxTraces: 1 }).spans({ fromMs: FROM, toMs: TO });
    expect(server.requests[0]!.query.get('limit')).toBe('1');
    // the fixture's search answers two traces anyway: only the first is fetched
    expect(server.requests.filter((r) => r.path.startsWith('/api/traces/'))).toHaveLength(1);
    expect(capped).toEqual([]);
  });

  it('quotes a service name that is not one logfmt token', async () => {
    server = await startFixtureServer((_req, res) => sendJson(res, 200, { traces: [] }));
    await createTempoTraceSource({ url: server.url }).spans({ service: 'check out', fromMs: FROM, toMs: TO });
    expect(server.requests[0]!.query.get('tags')).toBe('service.name="check out"');
  });

  it('errors: search 500 with its text, a trace body that is not OTLP, refused, silent', async () => {
    server = await startFixtureServer((req, res) => {
      if (req.query.get('tags') === 'service.name=broken') return sendText(res, 500, 'error finding blocks: context deadline exceeded');
      if (req.query.get('tags') === 'service.name=silent') return;
      if (req.path === '/api/search') return sendJson(res, 200, { traces: [{ traceID: CHECKOUT_TRACE }] });
      sendJson(res, 200, { batches: [{ scopeSpans: [{ spans: [{ traceId: 'AAAA', name: 'no ids or times' }] }] }] });
    });
    const source = createTempoTraceSource({ url: server.url, timeoutMs: 150 });
    const broken = await failure(source.spans({ service: 'broken', fromMs: FROM, toMs: TO }));
    expect(broken.path).toBe(`${server.url}/api/search`);
    expect(broken.message).toContain('HTTP 500: error finding blocks: context deadline exceeded');
    expect((await failure(source.spans({ service: 'silent', fromMs: FROM, toMs: TO }))).message).toContain('no answer within 150 ms');
    const invalid = await failure(source.spans({ service: 'checkout', fromMs: FROM, toMs: TO }));
    expect(invalid.reason).toBe('invalid');
    expect(invalid.message).toContain('not OTLP JSON');
    const refused = await failure(createTempoTraceSource({ url: await refusedUrl() }).spans({ fromMs: FROM, toMs: TO }));
    expect(refused.message).toContain('connection refused');
  });

  it('ids: hex kept (lower-cased), protobuf base64 decoded, anything else left as is', () => {
    expect(toHexId('4BF92F3577B34DA6A3CE929D0E0E4736', 16)).toBe(CHECKOUT_TRACE);
    expect(toHexId('S/kvNXezTaajzpKdDg5HNg==', 16)).toBe(CHECKOUT_TRACE);
    expect(toHexId('APBnqgupArc=', 8)).toBe('00f067aa0ba902b7');
    expect(toHexId('not-an-id', 8)).toBe('not-an-id');
  });
});
