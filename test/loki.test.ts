import { afterEach, describe, expect, it } from 'vitest';
import { createLokiLogSource } from '../src/connectors/loki/index.js';
import { DataSourceError } from '../src/connectors/types.js';
import {
  fixture,
  refusedUrl,
  sendJson,
  sendText,
  startFixtureServer,
  type FixtureServer,
  type RecordedRequest,
} from './fixtures/loki/fixture-server.js';

// Loki is not installable here: these tests serve responses hand-written from Loki's HTTP API docs
// (test/fixtures/loki/README.md), never captured from a live server.

const FROM = Date.UTC(2026, 10, 20, 13, 0, 0);
const TO = FROM + 10 * 60_000;
const NS = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function lokiFixtures(labels = fixture('loki', 'labels.json')) {
  return (req: RecordedRequest, res: import('node:http').ServerResponse) => {
    if (req.path === '/loki/api/v1/labels') return sendJson(res, 200, labels);
    if (req.path.startsWith('/loki/api/v1/label/')) return sendJson(res, 200, fixture('loki', 'label-values.json'));
    if (req.path === '/loki/api/v1/query_range') return sendJson(res, 200, fixture('loki', 'query_range.json'));
    sendText(res, 404, '404 page not found');
  };
}

describe('Loki log source over recorded responses', () => {
  it('maps a streams result to LogRecords: levels from labels, structured lines or words; trace ids; oldest first', async () => {
    server = await startFixtureServer(lokiFixtures());
    const loki = createLokiLogSource({ url: server.url });
    const recs = await loki.read({ service: 'checkout', fromMs: FROM, toMs: TO });

    const q = server.requests.find((r) => r.path === '/loki/api/v1/query_range')!;
    expect(q.query.get('query')).toBe('{service_name="checkout"}');
    expect(q.query.get('start')).toBe(NS(FROM));
    expect(q.query.get('end')).toBe(NS(TO));
    expect(q.query.get('direction')).toBe('backward');
    expect(q.query.get('limit')).toBe('1000');

    expect(recs.map((r) => [r.level, r.message])).toEqual([
      ['INFO', 'GET /cart 200 12ms'],
      ['INFO', 'cart loaded'],
      ['INFO', 'upstream request timed out'],
      ['ERROR', 'payment authorization failed: upstream 503'],
      ['WARN', 'level=warn msg="retrying payment call" attempt=2'],
      ['FATAL', 'panic: runtime error: invalid memory address or nil pointer dereference'],
      ['ERROR', 'payment authorization failed: upstream 503'],
    ]);
    expect(recs[0]!.ts).toBe(FROM); // 500 ns past FROM: below what an epoch-ms double holds
    expect(recs.every((r) => r.service === 'checkout')).toBe(true);
    expect(recs[2]!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(recs[6]).toMatchObject({ ts: FROM + 60_000, host: 'node-3', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it('uses the first service label Loki knows, for queries and services()', async () => {
    server = await startFixtureServer(lokiFixtures(JSON.stringify({ status: 'success', data: ['job', 'service', 'filename'] })));
    const loki = createLokiLogSource({ url: server.url });
    expect(await loki.services()).toEqual(['checkout', 'frontend', 'payments']);
    expect(server.requests.map((r) => r.path)).toContain('/loki/api/v1/label/service/values');
    await loki.read({ fromMs: FROM, toMs: TO });
    expect(server.requests.at(-1)!.query.get('query')).toBe('{service=~".+"}');
    // the label was looked up once, not per call
    expect(server.requests.filter((r) => r.path === '/loki/api/v1/labels')).toHaveLength(1);
  });

  it('a single configured label is used without asking, and a service name is quoted as a LogQL string', async () => {
    server = await startFixtureServer(lokiFixtures());
    const loki = createLokiLogSource({ url: server.url, serviceLabels: ['app'] });
    await loki.read({ service: 'we"ird\\svc', fromMs: FROM, toMs: TO });
    expect(server.requests.map((r) => r.path)).toEqual(['/loki/api/v1/query_range']);
    expect(server.requests[0]!.query.get('query')).toBe('{app="we\\"ird\\\\svc"}');
    expect(() => createLokiLogSource({ url: server!.url, serviceLabels: ['bad-label'] })).toThrow(/not a Loki label name/);
  });

  describe('paging by time when a page is full', () => {
    // 25 entries, three of them sharing one nanosecond so that a page boundary falls inside the group
    const ENTRIES = Array.from({ length: 25 }, (_, i) => ({
      ns: BigInt(FROM) * 1_000_000n + BigInt(i < 10 ? i : i >= 10 && i < 13 ? 10 : i) * 1_000_000_000n,
      line: `line ${i}`,
    }));
    function pagingLoki(req: RecordedRequest, res: import('node:http').ServerResponse) {
      if (req.path !== '/loki/api/v1/query_range') return sendJson(res, 200, { status: 'success', data: ['service_name'] });
      const start = BigInt(req.query.get('start')!);
      const end = BigInt(req.query.get('end')!);
      const limit = Number(req.query.get('limit'));
      const backward = req.query.get('direction') === 'backward';
      const inRange = ENTRIES.filter((e) => e.ns >= start && e.ns < end);
      const page = (backward ? [...inRange].reverse() : inRange).slice(0, limit);
      sendJson(res, 200, {
        status: 'success',
        data: { resultType: 'streams', result: [{ stream: { service_name: 'checkout' }, values: page.map((e) => [e.ns.toString(), e.line]) }] },
      });
    }

    for (const direction of ['forward', 'backward'] as const) {
      it(`${direction}: every entry once, across pages`, async () => {
        server = await startFixtureServer(pagingLoki);
        const loki = createLokiLogSource({ url: server.url, pageSize: 11, direction });
        const recs = await loki.read({ service: 'checkout', fromMs: FROM, toMs: TO });
        expect(recs.map((r) => r.message)).toEqual(ENTRIES.map((e) => e.line));
        expect(new Set(recs.map((r) => r.message)).size).toBe(25);
        expect(server.requests.filter((r) => r.path === '/loki/api/v1/query_range').length).toBeGreaterThan(2);
      });
    }

    it('stops at maxRecords: backward keeps the newest, forward the oldest', async () => {
      server = await startFixtureServer(pagingLoki);
      const newest = await createLokiLogSource({ url: server.url, pageSize: 5, maxRecords: 7 }).read({ fromMs: FROM, toMs: TO });
      expect(newest.map((r) => r.message)).toEqual(['line 18', 'line 19', 'line 20', 'line 21', 'line 22', 'line 23', 'line 24']);
      const oldest = await createLokiLogSource({ url: server.url, pageSize: 5, maxRecords: 7, direction: 'forward' }).read({
        fromMs: FROM,
        toMs: TO,
      });
      expect(oldest.map((r) => r.message)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
      // the last page asked only for what was left under the cap, plus the boundary entry it gets again
      expect(server.requests.at(-1)!.query.get('limit')).toBe('3');
    });
  });

  describe('a dead or erroring Loki is a DataSourceError with the status and the server\'s words', () => {
    async function failure(p: Promise<unknown>): Promise<DataSourceError> {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DataSourceError);
      return err as DataSourceError;
    }

    it('400 with Loki\'s plain-text parse error', async () => {
      server = await startFixtureServer((req, res) =>
        req.path === '/loki/api/v1/labels'
          ? sendJson(res, 200, fixture('loki', 'labels.json'))
          : sendText(res, 400, 'parse error at line 1, col 16: syntax error: unexpected IDENTIFIER, expecting STRING\n'),
      );
      const err = await failure(createLokiLogSource({ url: server.url }).read({ service: 'checkout', fromMs: FROM, toMs: TO }));
      expect(err.source).toBe('logs');
      expect(err.reason).toBe('unreadable');
      expect(err.path).toBe(`${server.url}/loki/api/v1/query_range`);
      expect(err.message).toContain('HTTP 400: parse error at line 1, col 16: syntax error: unexpected IDENTIFIER, expecting STRING');
    });

    it('500 with a body', async () => {
      server = await startFixtureServer((_req, res) => sendText(res, 500, 'rpc error: code = Unavailable desc = no healthy ingester'));
      const err = await failure(createLokiLogSource({ url: server.url }).services());
      expect(err.message).toContain('HTTP 500: rpc error: code = Unavailable desc = no healthy ingester');
    });

    it('connection refused', async () => {
      const err = await failure(createLokiLogSource({ url: await refusedUrl() }).read({ fromMs: FROM, toMs: TO }));
      expect(err.reason).toBe('unreadable');
      expect(err.message).toContain('connection refused');
    });

    it('a server that never answers times out', async () => {
      server = await startFixtureServer(() => {});
      const err = await failure(createLokiLogSource({ url: server.url, timeoutMs: 150, serviceLabels: ['job'] }).read({ fromMs: FROM, toMs: TO }));
      expect(err.message).toContain('no answer within 150 ms');
    });

    it('a 200 that is not a streams result, or not JSON, is invalid', async () => {
      server = await startFixtureServer((req, res) =>
        req.path === '/loki/api/v1/query_range'
          ? sendJson(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } })
          : sendText(res, 200, '<html>login</html>'),
      );
      const matrix = await failure(createLokiLogSource({ url: server.url, serviceLabels: ['job'] }).read({ fromMs: FROM, toMs: TO }));
      expect(matrix.reason).toBe('invalid');
      expect(matrix.message).toContain('expected a "streams" result, got "matrix"');
      const html = await failure(createLokiLogSource({ url: server.url }).services());
      expect(html.reason).toBe('invalid');
      expect(html.message).toContain('not JSON: <html>login</html>');
    });
  });

  it('sends the bearer token and tenant, and never shows the token in an error', async () => {
    server = await startFixtureServer((req, res) => sendText(res, 401, `invalid token ${req.headers['authorization']}`));
    const err = (await createLokiLogSource({ url: server.url, bearerToken: 's3cr3t-t0ken', tenantId: 'team-a', serviceLabels: ['job'] })
      .services()
      .catch((e: unknown) => e)) as Error;
    expect(server.requests[0]!.headers['authorization']).toBe('Bearer s3cr3t-t0ken');
    expect(server.requests[0]!.headers['x-scope-orgid']).toBe('team-a');
    expect(err.message).toContain('HTTP 401: invalid token Bearer [REDACTED]');
    expect(err.message).not.toContain('s3cr3t');
  });

  it('basic auth from the URL or basicAuth; the password never shows', async () => {
    server = await startFixtureServer((req, res) => sendText(res, 403, `denied for ${req.headers['authorization']}`));
    const withUrl = server.url.replace('http://', 'http://ops:pa55word@');
    const err = (await createLokiLogSource({ url: withUrl, serviceLabels: ['job'] }).services().catch((e: unknown) => e)) as DataSourceError;
    expect(server.requests[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('ops:pa55word').toString('base64')}`);
    expect(err.path).not.toContain('pa55word');
    expect(err.message).not.toContain(Buffer.from('ops:pa55word').toString('base64'));
    await createLokiLogSource({ url: server.url, basicAuth: 'ops:other', serviceLabels: ['job'] }).services().catch(() => {});
    expect(server.requests[1]!.headers['authorization']).toBe(`Basic ${Buffer.from('ops:other').toString('base64')}`);
  });
});
