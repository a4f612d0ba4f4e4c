import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OtlpStore } from '../connectors/otlp/store.js';
import { otlpRoutes } from '../connectors/otlp/routes.js';
import { otlpMessageTypes } from '../connectors/otlp/proto-root.js';
import type { HttpRoute } from '../server/http.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

/**
 * OTLP ingest: protobuf (and, for comparison, JSON) ExportTraceServiceRequests of `batch` spans, generated once, go
 * through the POST /v1/traces handler (decode, map, store) until `spans` have been sent. Reports spans per CPU-second
 * (one core: the handler runs on the main thread) next to the OpenTelemetry Collector's ~10k spans/s per core, and the
 * heap after a forced GC before, when the store first reaches its bound, and at the end: flat once the bound holds.
 * Params: spans (default 300000), batch (512), bound (the store's max spans, default 100000), json (spans sent as JSON,
 * default spans / 4; 0 skips it).
 */

const SERVICES = ['frontend', 'cart', 'checkout', 'payment', 'shipping', 'inventory', 'auth', 'search'];
/** distinct batches cycled through: enough variety for the decoder, little memory for the inputs themselves */
const DISTINCT_BATCHES = 32;
const COLLECTOR_SPANS_PER_CORE = 10_000;

export const ingestSuite: BenchSuite = {
  name: 'ingest',
  description: 'OTLP/HTTP trace ingest through the /v1/traces handler: spans/s per core (protobuf, JSON) and heap before/at/after the store bound',
  async run({ params, progress }) {
    const total = intParam(params, 'spans', 300_000);
    const batch = intParam(params, 'batch', 512);
    const bound = intParam(params, 'bound', 100_000);
    const jsonSpans = intParam(params, 'json', Math.floor(total / 4), 0);
    const gc = exposeGc();

    const protoBatches = Array.from({ length: DISTINCT_BATCHES }, (_, i) => encodeProtobuf(generateRequest(i, batch)));
    const jsonBatches = Array.from({ length: DISTINCT_BATCHES }, (_, i) => Buffer.from(JSON.stringify(toJsonRequest(generateRequest(i, batch)))));

    const store = new OtlpStore({ maxSpans: bound, maxLogs: 1, maxPoints: 1, maxAgeMinutes: 24 * 60 });
    const route = tracesRoute(store);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapAtBound: number | undefined;
    const heapSamples: { sent: number; heap: number }[] = [];

    progress(`ingest: ${total} spans as protobuf in batches of ${batch}, store bound ${bound}`);
    const proto = await send(route, protoBatches, 'application/x-protobuf', batch, total, (sent) => {
      if (heapAtBound === undefined && store.stats().spans >= bound) {
        gc();
        heapAtBound = process.memoryUsage().heapUsed;
      }
      if (sent % (batch * 100) < batch) {
        gc();
        heapSamples.push({ sent, heap: process.memoryUsage().heapUsed });
      }
    });
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const afterBound = heapSamples.filter((s) => s.sent >= bound);
    const drift = afterBound.length >= 2 ? (afterBound.at(-1)?.heap ?? 0) - (afterBound[0]?.heap ?? 0) : undefined;

    let json: Measured | undefined;
    if (jsonSpans > 0) {
      progress(`ingest: ${jsonSpans} spans as JSON`);
      json = await send(tracesRoute(new OtlpStore({ maxSpans: bound, maxLogs: 1, maxPoints: 1, maxAgeMinutes: 24 * 60 })), jsonBatches, 'application/json', batch, jsonSpans);
    }

    const rateRow = (encoding: string, m: Measured) => [encoding, m.spans, round(m.cpuSeconds, 2), Math.round(m.spans / m.cpuSeconds), Math.round(m.spans / m.wallSeconds)];
    const rates = renderTable(
      ['encoding', 'spans', 'CPU s', 'spans/s per core', 'spans/s wall'],
      [rateRow('protobuf', proto), ...(json ? [rateRow('json', json)] : [])],
    );
    const mb = (b: number | undefined) => (b === undefined ? '-' : round(b / 2 ** 20, 1));
    const memory = renderTable(
      ['phase', 'spans held', 'heap MB'],
      [
        ['before (empty store)', 0, mb(heapBefore)],
        ['store first at its bound', bound, mb(heapAtBound)],
        [`after ${total} spans`, store.stats().spans, mb(heapAfter)],
      ],
    );
    const protoPerCore = proto.spans / proto.cpuSeconds;
    const text = [
      `OTLP ingest via POST /v1/traces (handler in process, batches of ${batch}, store bound ${bound} spans)`,
      rates,
      `anchor: the OpenTelemetry Collector, ~${COLLECTOR_SPANS_PER_CORE} spans/s per core; protobuf here: ${(protoPerCore / COLLECTOR_SPANS_PER_CORE).toFixed(1)}×`,
      '',
      memory,
      drift === undefined ? '' : `heap drift from the bound to the end (GC'd samples every ${batch * 100} spans): ${mb(drift)} MB`,
      gc === noGc ? 'note: no GC could be forced; heap figures include garbage' : '',
    ]
      .filter((l) => l !== '')
      .join('\n');
    return {
      suite: 'ingest',
      text,
      json: {
        summary: {
          protobufSpansPerCoreSecond: Math.round(protoPerCore),
          jsonSpansPerCoreSecond: json ? Math.round(json.spans / json.cpuSeconds) : null,
          collectorSpansPerCoreSecond: COLLECTOR_SPANS_PER_CORE,
          heapBeforeMb: mb(heapBefore),
          heapAtBoundMb: mb(heapAtBound),
          heapAfterMb: mb(heapAfter),
          heapDriftAfterBoundMb: drift === undefined ? null : mb(drift),
        },
        params: { spans: total, batch, bound, json: jsonSpans },
        protobuf: proto,
        ...(json ? { json } : {}),
        heapSamples: heapSamples.map((s) => ({ sent: s.sent, heapMb: mb(s.heap) })),
      },
    };
  },
};

interface Measured {
  spans: number;
  cpuSeconds: number;
  wallSeconds: number;
}

function tracesRoute(store: OtlpStore): HttpRoute {
  const route = otlpRoutes(store).find((r) => r.path === '/v1/traces');
  if (!route) throw new Error('no /v1/traces route');
  return route;
}

async function send(route: HttpRoute, batches: Uint8Array[], contentType: string, batch: number, total: number, after?: (sent: number) => void): Promise<Measured> {
  let sent = 0;
  let measuredCpu = 0;
  let measuredWall = 0;
  for (let i = 0; sent < total; i++) {
    const body = batches[i % batches.length] as Uint8Array;
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const res = await route.handle(new Request('http://bench/v1/traces', { method: 'POST', body, headers: { 'content-type': contentType } }));
    const answer = await res.arrayBuffer();
    measuredWall += performance.now() - wall;
    const used = process.cpuUsage(cpu);
    measuredCpu += (used.user + used.system) / 1e6;
    if (res.status !== 200) throw new Error(`the handler answered ${res.status}: ${Buffer.from(answer).toString()}`);
    // "{}" or an empty protobuf message: anything longer is a partial success, i.e. the generator made invalid spans
    if (answer.byteLength > 2) throw new Error(`the handler rejected part of a generated batch: ${Buffer.from(answer).toString()}`);
    sent += batch;
    after?.(sent);
  }
  return { spans: sent, cpuSeconds: measuredCpu, wallSeconds: measuredWall / 1000 };
}

interface GeneratedSpan {
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId?: Buffer;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number } }[];
  status: { code: number };
}
type GeneratedRequest = { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { scope: { name: string }; spans: GeneratedSpan[] }[] }[] };

/** spans shaped like an HTTP service's: server and client spans, 5 attributes, 2% errors, spread over services */
function generateRequest(seed: number, count: number): GeneratedRequest {
  let state = seed * 7919 + 1;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 255) + 1));
  const base = BigInt(Date.now()) * 1_000_000n;
  const perService = new Map<string, GeneratedSpan[]>();
  for (let i = 0; i < count; i++) {
    const service = SERVICES[i % SERVICES.length] as string;
    const start = base + BigInt(i) * 1_000_000n;
    const span: GeneratedSpan = {
      traceId: bytes(16),
      spanId: bytes(8),
      ...(i % 2 ? { parentSpanId: bytes(8) } : {}),
      name: i % 2 ? 'GET /api/items' : 'SELECT items',
      kind: i % 2 ? 2 : 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(Math.floor(rand() * 50_000_000))),
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
        { key: 'http.response.status_code', value: { intValue: rand() < 0.02 ? 500 : 200 } },
        { key: 'server.address', value: { stringValue: `${service}.internal` } },
        { key: 'user_agent.original', value: { stringValue: 'bench/1.0' } },
      ],
      status: { code: rand() < 0.02 ? 2 : 0 },
    };
    const list = perService.get(service) ?? [];
    list.push(span);
    perService.set(service, list);
  }
  return {
    resourceSpans: [...perService].map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'bench' }, spans }],
    })),
  };
}

function encodeProtobuf(request: GeneratedRequest): Uint8Array {
  const type = otlpMessageTypes().traceRequest;
  return type.encode(type.fromObject(request)).finish();
}

/** the OTLP/JSON form of the same request: hex ids */
function toJsonRequest(request: GeneratedRequest): unknown {
  const hex = (b: Buffer | undefined) => (b ? b.toString('hex') : undefined);
  return {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map((s) => ({ ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) })) })),
    })),
  };
}

function noGc(): void {}

/** a callable GC, so heap figures are live data rather than garbage awaiting collection */
function exposeGc(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : noGc;
  } catch {
    return noGc;
  }
}

function intParam(params: Record<string, string>, name: string, fallback: number, min = 1): number {
  const raw = params[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
