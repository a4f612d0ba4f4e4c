import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../registry.js';
import { DataSourceError } from '../types.js';
import { createFileConnectors, detectLogFormat, parseLogLine } from './index.js';

const T0 = Date.parse('2026-11-20T09:00:00.000Z');

function otlpLine(): string {
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'sim' },
            spans: [
              {
                traceId: 'aa', spanId: 's1', parentSpanId: '', name: 'POST /checkout', kind: 2,
                startTimeUnixNano: ns(T0), endTimeUnixNano: ns(T0 + 120), status: { code: 0 },
                attributes: [{ key: 'http.status_code', value: { intValue: '200' } }],
              },
              {
                traceId: 'aa', spanId: 's2', parentSpanId: 's1', name: 'call payment', kind: 3,
                startTimeUnixNano: ns(T0 + 10), endTimeUnixNano: ns(T0 + 110), status: { code: 2 },
                attributes: [{ key: 'peer.service', value: { stringValue: 'payment' } }],
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('log line formats', () => {
  it('parses one line of each format', () => {
    const cases: [string, string, Partial<ReturnType<typeof parseLogLine>>][] = [
      [
        'logfmt',
        'ts=2026-11-20T09:00:01.123Z level=info service=cart msg="Added item to cart" trace_id=4bf92f',
        { ts: T0 + 1123, level: 'INFO', message: 'Added item to cart', traceId: '4bf92f' },
      ],
      [
        'json',
        '{"@timestamp":"2026-11-20T09:00:01.123Z","level":"ERROR","service":"payment","message":"Bank gateway timeout","trace_id":"ab12"}',
        { ts: T0 + 1123, level: 'ERROR', message: 'Bank gateway timeout', traceId: 'ab12' },
      ],
      [
        'java',
        '2026-11-20 09:00:01,123 ERROR [http-nio-8080-exec-7] c.shop.order.OrderService - Connection is not available',
        { ts: T0 + 1123, level: 'ERROR', message: 'Connection is not available' },
      ],
      [
        'nginx',
        '10.0.3.17 - - [20/Nov/2026:09:00:01 +0000] "GET /api/cart HTTP/1.1" 503 512 0.012 "-" "Mozilla/5.0"',
        { ts: T0 + 1000, level: 'ERROR', message: 'GET /api/cart HTTP/1.1 -> 503 Service Unavailable in 0.012s' },
      ],
      [
        'postgres',
        '2026-11-20 09:00:01.123 UTC [12345] LOG:  duration: 2345.123 ms  statement: SELECT 1',
        { ts: T0 + 1123, level: 'INFO', message: 'duration: 2345.123 ms  statement: SELECT 1' },
      ],
    ];
    for (const [fmt, line, want] of cases) {
      expect(detectLogFormat(line)).toBe(fmt);
      expect(parseLogLine(line, 'svc')).toMatchObject({ service: 'svc', ...want });
    }
    expect(parseLogLine('10.0.3.17 - - [20/Nov/2026:09:00:01 +0000] "GET / HTTP/1.1" 404 0 0.001 "-" "x"', 's')?.level).toBe(
      'WARN',
    );
    expect(parseLogLine('2026-11-20 09:00:01.123 UTC [1] WARNING:  x', 's')?.level).toBe('WARN');
    expect(parseLogLine('garbage line', 's')).toBeNull();
  });
});

describe('file connectors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conn-'));
    await mkdir(join(dir, 'logs'));
    await mkdir(join(dir, 'traces'));
    await writeFile(
      join(dir, 'metrics.csv'),
      [
        'timestamp,entity,metric,value',
        '2026-11-20T09:00:00.000Z,cart,error_rate,0.01',
        '2026-11-20T09:01:00.000Z,cart,error_rate,0.02',
        'not,a,valid-row',
        '2026-11-20T09:01:00.000Z,host-1,cpu_util,abc',
        '2026-11-20T09:00:00.000Z,host-1,cpu_util,40',
      ].join('\n') + '\n',
    );
    await writeFile(
      join(dir, 'logs', 'cart.log'),
      'ts=2026-11-20T09:00:01.000Z level=info msg="hello"\n%%% broken\n\tat com.x.Y(Y.java:1)\n' +
        'ts=2026-11-20T09:00:02.000Z level=error msg="boom"\n',
    );
    await writeFile(join(dir, 'traces', 'spans.jsonl'), `${otlpLine()}\n{"resourceSpans": 5}\nnot json\n`);
    await writeFile(
      join(dir, 'cmdb.yaml'),
      `services:
  - {name: cart, kind: service, tier: 1, owner: shop, hosts: [host-1], dependsOn: [redis-cache]}
  - {name: redis-cache, kind: cache, tier: 1, owner: platform, hosts: [host-1], dependsOn: []}
hosts:
  - {name: host-1, zone: a, cpus: 4, memoryGb: 16, diskGb: 100}
changes:
  - {id: chg-1, ts: "2026-11-20T08:50:00.000Z", kind: deploy, target: cart, description: v2, author: bob}
`,
    );
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('reads metrics, skipping malformed rows', async () => {
    const c = createFileConnectors(dir);
    const all = await c.metrics.query({ fromMs: T0, toMs: T0 + 3_600_000 });
    expect(all).toHaveLength(2);
    const cart = await c.metrics.query({ entity: 'cart', metric: 'error_rate', fromMs: T0, toMs: T0 + 60_000 });
    expect(cart[0]?.points).toEqual([{ ts: T0, value: 0.01 }]);
    expect((await c.metrics.list()).map((s) => s.entity).sort()).toEqual(['cart', 'host-1']);
    expect(c.metrics.diagnostics?.()[0]).toMatchObject({ records: 3, skipped: 2 });
  });

  it('reads logs and traces, skipping malformed lines', async () => {
    const c = createFileConnectors(dir);
    const logs = await c.logs.read({ fromMs: T0, toMs: T0 + 60_000 });
    expect(logs.map((l) => [l.service, l.level, l.message])).toEqual([
      ['cart', 'INFO', 'hello'],
      ['cart', 'ERROR', 'boom'],
    ]);
    expect(c.logs.diagnostics?.()[0]?.skipped).toBe(1);
    const spans = await c.traces.spans({ fromMs: T0, toMs: T0 + 60_000 });
    expect(spans).toHaveLength(2);
    expect(spans[1]).toMatchObject({
      service: 'checkout', kind: 'CLIENT', parentSpanId: 's1', status: 'ERROR', startMs: T0 + 10, endMs: T0 + 110,
      attributes: { 'peer.service': 'payment' },
    });
    expect(spans[0]?.attributes['http.status_code']).toBe(200);
    expect(spans[0]?.parentSpanId).toBeUndefined();
    expect(c.traces.diagnostics?.()[0]?.skipped).toBe(2);
    expect(await c.traces.spans({ fromMs: T0, toMs: T0 + 60_000, service: 'payment' })).toEqual([]);
  });

  it('parses the CMDB with change timestamps in ms', async () => {
    const cmdb = await createConnectors({ kind: 'files', dir }).cmdb.snapshot();
    expect(cmdb.services.map((s) => s.name)).toEqual(['cart', 'redis-cache']);
    expect(cmdb.changes[0]?.ts).toBe(T0 - 600_000);
  });

  it('re-reads a file after it is appended to', async () => {
    const c = createFileConnectors(dir);
    const q = { entity: 'cart', metric: 'error_rate', fromMs: T0, toMs: T0 + 3_600_000 };
    expect((await c.metrics.query(q))[0]?.points).toHaveLength(2);
    await appendFile(join(dir, 'metrics.csv'), '2026-11-20T09:02:00.000Z,cart,error_rate,0.5\n');
    expect((await c.metrics.query(q))[0]?.points).toHaveLength(3);
    await appendFile(join(dir, 'logs', 'cart.log'), 'ts=2026-11-20T09:00:03.000Z level=warn msg="later"\n');
    expect(await c.logs.read({ service: 'cart', fromMs: T0, toMs: T0 + 60_000 })).toHaveLength(3);
  });

  it('raises DataSourceError naming the missing file or folder', async () => {
    const c = createFileConnectors(join(dir, 'nope'));
    await expect(c.metrics.list()).rejects.toBeInstanceOf(DataSourceError);
    await expect(c.metrics.list()).rejects.toThrow(/nope[\\/]metrics\.csv is missing/);
    await expect(c.logs.read({ fromMs: 0, toMs: 1 })).rejects.toMatchObject({ source: 'logs', reason: 'missing' });
    await expect(c.traces.spans({ fromMs: 0, toMs: 1 })).rejects.toBeInstanceOf(DataSourceError);
    await expect(c.cmdb.snapshot()).rejects.toBeInstanceOf(DataSourceError);
    await writeFile(join(dir, 'cmdb.yaml'), 'services: [{name: x}]\n');
    await expect(createFileConnectors(dir).cmdb.snapshot()).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('registry rejects unknown kinds clearly', () => {
    expect(() => createConnectors({ kind: 'graphite', dir })).toThrow(/unknown connector kind "graphite".*files.*prometheus/);
    expect(() => createConnectors({ kind: 'files' })).toThrow(/needs a "dir"/);
  });
});
