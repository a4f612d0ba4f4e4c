/**
 * Sampled traces for one minute as one OTLP/JSON ExportTraceServiceRequest. Requests are generated from the same
 * per-minute state that drives the metrics: own processing time and errors from each component's Mods, network delay
 * and loss from the link state, client timeouts from the edges. Databases, the cache, the queue and the bank have
 * CLIENT (or PRODUCER) spans only, as real instrumentation shows them.
 */
import { ownDuration, netMs } from './latency.js';
import { Rng } from './random.js';
import { type Frame, linkKey } from './state.js';
import { type EdgeSpec, edgesFrom, findEdge, svc } from './topology.js';

type Attr = { key: string; value: { stringValue: string } | { intValue: string } | { boolValue: boolean } };
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId: string; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes: Attr[]; status: { code: number; message?: string };
}

export interface TraceIds { ok: string[]; err: string[] }

const s = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const n = (key: string, v: number): Attr => ({ key, value: { intValue: String(v) } });
const b = (key: string, v: boolean): Attr => ({ key, value: { boolValue: v } });
const nanos = (ms: number): string => `${Math.round(ms * 1000)}000`;

interface Route { name: string; weight: number; plan: Record<string, number> }
const ROUTES: Route[] = [
  { name: 'GET /api/products', weight: 0.4, plan: { 'catalog-service': 1, 'user-service': 0.6, 'recommendation-service': 0.6 } },
  { name: 'GET /api/search', weight: 0.2, plan: { 'search-service': 1, 'user-service': 0.6 } },
  { name: 'POST /api/cart/items', weight: 0.25, plan: { 'cart-service': 1, 'user-service': 0.6, 'catalog-service': 0.3 } },
  { name: 'GET /api/account', weight: 0.15, plan: { 'user-service': 1, 'recommendation-service': 0.3 } },
];
const CHECKOUT: Route = { name: 'POST /api/checkout', weight: 0, plan: { 'order-service': 1, 'user-service': 0.6 } };
const STATEMENT: Record<string, string> = {
  'SELECT shop.users': 'SELECT id, email, status FROM users WHERE id = $1',
  'SELECT shop.products': 'SELECT id, name, price_eur FROM products WHERE id = $1',
  'UPDATE shop.carts': 'UPDATE carts SET items = $2, updated_at = now() WHERE id = $1',
  'INSERT shop.orders': 'INSERT INTO orders (id, user_id, total_eur, status) VALUES ($1, $2, $3, $4)',
  'INSERT shop.payments': 'INSERT INTO payments (id, order_id, amount_eur, status) VALUES ($1, $2, $3, $4)',
  'UPDATE shop.stock': 'UPDATE stock SET reserved = reserved + $2 WHERE product_id = $1',
};

class Builder {
  readonly spans = new Map<string, OtlpSpan[]>();
  readonly ids = new Map<string, TraceIds>();

  constructor(
    private readonly f: Frame,
    private readonly rng: Rng,
  ) {}

  private push(service: string, span: OtlpSpan, traceErr: boolean): void {
    let list = this.spans.get(service);
    if (!list) this.spans.set(service, (list = []));
    list.push(span);
    let ids = this.ids.get(service);
    if (!ids) this.ids.set(service, (ids = { ok: [], err: [] }));
    (traceErr ? ids.err : ids.ok).push(span.traceId);
  }

  private span(traceId: string, parent: string, name: string, kind: number, start: number, end: number, attrs: Attr[], err: string | undefined, id?: string): OtlpSpan {
    return {
      traceId, spanId: id ?? this.rng.hex(16), parentSpanId: parent, name, kind,
      startTimeUnixNano: nanos(start), endTimeUnixNano: nanos(end), attributes: attrs,
      status: err ? { code: 2, message: err } : { code: 0 },
    };
  }

  /** a SERVER span in `name` and everything below it */
  server(name: string, traceId: string, parent: string, start: number, op: string, plan?: Record<string, number>): { dur: number; err: boolean; spanId: string } {
    const spec = svc(name);
    const st = this.f.svc.get(name);
    const spanId = this.rng.hex(16);
    if (!st) return { dur: 0, err: true, spanId };
    const m = st.mods;
    const own = ownDuration(spec, m, this.rng);
    let err: string | undefined = own.hang ? 'request timed out' : this.rng.next() < m.err ? (m.errType ?? 'Internal Server Error') : undefined;
    let cursor = start + own.dur * 0.3;
    if (!own.hang) {
      for (const e of edgesFrom(name)) {
        const p = plan ? (plan[e.to] ?? 0) : e.p;
        if (this.rng.next() >= p) continue;
        const r = this.call(e, traceId, spanId, cursor);
        cursor += r.dur;
        if (r.err && !err && r.propagate) err = `${e.to}: ${r.reason}`;
      }
    }
    const end = cursor + own.dur * 0.7;
    const code = err ? (own.hang ? 504 : 500) : op.startsWith('POST') ? 201 : 200;
    const method = op.split(' ')[0] ?? 'GET';
    const attrs = [s('http.request.method', method), s('http.route', op.split(' ')[1] ?? op), n('http.response.status_code', code)];
    if (err && m.errType && err === m.errType) attrs.push(s('exception.type', m.errType));
    this.push(name, this.span(traceId, parent, op, 2, start, end, attrs, err, spanId), err !== undefined);
    return { dur: end - start, err: err !== undefined, spanId };
  }

  /** a call from e.from to e.to starting at `start`; returns its duration as the caller sees it */
  call(e: EdgeSpec, traceId: string, parent: string, start: number, plan?: Record<string, number>): { dur: number; err: boolean; propagate: boolean; reason: string } {
    const rng = this.rng;
    const link = this.f.links.get(linkKey(e.from, e.to));
    const timeout = link?.timeoutMs ?? e.timeoutMs;
    const delay = link ? link.delayMs * rng.float(0.7, 1.3) : 0;
    const lost = link !== undefined && link.lossProb > 0 && rng.next() < link.lossProb;
    const net = netMs(rng);
    const callee = this.f.svc.get(e.to);
    const attrs: Attr[] = [s('peer.service', e.to)];
    let dur: number;
    let err: string | undefined;
    if (e.kind === 'http') {
      const clientId = rng.hex(16);
      const child = lost ? undefined : this.server(e.to, traceId, clientId, start + net / 2 + delay / 2, e.op, plan);
      const total = child ? child.dur + net + delay : Number.POSITIVE_INFINITY;
      const timedOut = total >= timeout;
      dur = timedOut ? (link?.breaker ? 1 : timeout) : total;
      if (timedOut) err = link?.breaker ? 'circuit open' : 'timeout';
      else if (child?.err) err = 'HTTP 500';
      attrs.push(s('http.request.method', e.op.split(' ')[0] ?? 'GET'), s('server.address', e.to));
      if (timedOut) attrs.push(s('error.type', 'timeout'));
      else attrs.push(n('http.response.status_code', child?.err ? 500 : e.op.startsWith('POST') ? 201 : 200));
      this.push(e.from, this.span(traceId, parent, e.op, 3, start, start + dur, attrs, err, clientId), err !== undefined);
      return { dur, err: err !== undefined, propagate: rng.next() < e.prop, reason: err ?? '' };
    }
    const x = (callee?.samples[Math.floor(rng.next() * (callee.samples.length || 1))] ?? 1) + net + delay;
    const fastErr = callee ? (callee.hangProb >= 1 ? 1 : 1 - (1 - callee.errProb) / (1 - callee.hangProb)) : 0;
    dur = Math.min(x, timeout);
    if (x >= timeout && link?.breaker) {
      dur = 1;
      err = 'circuit open';
    } else if (x >= timeout) err = e.kind === 'db' ? 'HikariPool-1 - Connection is not available' : 'timeout';
    else if (callee?.mods.down) err = 'Connection refused';
    else if (rng.next() < fastErr) err = e.kind === 'external' ? 'HTTP 502' : 'error';
    let kind = 3;
    if (e.kind === 'db') attrs.push(s('db.system', 'postgresql'), s('db.name', 'shop'), s('db.statement', STATEMENT[e.op] ?? e.op));
    if (e.kind === 'queue') {
      kind = 4;
      attrs.push(s('messaging.system', 'kafka'), s('messaging.destination.name', e.op.split(' ')[0] ?? 'events'));
    }
    if (e.kind === 'external') attrs.push(s('http.request.method', 'POST'), s('payment.acquirer', this.f.acquirer));
    let propagate = rng.next() < e.prop;
    if (e.kind === 'cache') {
      if (callee?.mods.down) dur = 0.3 + rng.float(20, 60);
      const hit = !err && rng.next() < this.f.hitRate;
      attrs.push(s('db.system', 'redis'), s('db.operation', e.op), b('cache.hit', hit));
      const sp = this.span(traceId, parent, e.op, 3, start, start + dur, attrs, err);
      this.push(e.from, sp, err !== undefined);
      const pg = findEdge(e.from, 'postgres-main');
      const fallback = pg && (err ? rng.next() < this.f.fallback : !hit);
      if (err && !fallback) propagate = true;
      if (fallback && pg) {
        const r = this.call(pg, traceId, parent, start + dur);
        return { dur: dur + r.dur, err: r.err || (err !== undefined && propagate), propagate: true, reason: r.err ? r.reason : (err ?? '') };
      }
      return { dur, err: err !== undefined, propagate, reason: err ?? '' };
    }
    const sp = this.span(traceId, parent, e.op, kind, start, start + dur, attrs, err);
    this.push(e.from, sp, err !== undefined);
    return { dur, err: err !== undefined, propagate, reason: err ?? '' };
  }

  /** one request entering the gateway */
  root(route: Route, start: number): void {
    const traceId = this.rng.hex(32);
    const gw = svc('api-gateway');
    const st = this.f.svc.get(gw.name);
    const edge = findEdge(gw.name, 'web-frontend');
    if (!st || !edge) return;
    const spanId = this.rng.hex(16);
    const own = ownDuration(gw, st.mods, this.rng).dur;
    const r = this.call(edge, traceId, spanId, start + own / 2, route.plan);
    const err = r.err ? (r.reason === 'timeout' ? 'upstream timed out' : 'upstream error') : undefined;
    const code = err ? (r.reason === 'timeout' ? 504 : 502) : route.name.startsWith('POST') ? 201 : 200;
    const sp = this.span(traceId, '', route.name, 2, start, start + own + r.dur, [
      s('http.request.method', route.name.split(' ')[0] ?? 'GET'), s('http.route', route.name.split(' ')[1] ?? '/'), n('http.response.status_code', code),
    ], err, spanId);
    this.push(gw.name, sp, err !== undefined);
  }

  consumer(start: number): void {
    const name = 'notification-service';
    const spec = svc(name);
    const st = this.f.svc.get(name);
    if (!st) return;
    const traceId = this.rng.hex(32);
    const own = ownDuration(spec, st.mods, this.rng);
    const err = own.hang || this.rng.next() < st.mods.err ? 'send failed' : undefined;
    const sp = this.span(traceId, '', 'orders.created process', 5, start, start + own.dur, [
      s('messaging.system', 'kafka'), s('messaging.destination.name', 'orders.created'), s('messaging.operation', 'process'),
    ], err);
    this.push(name, sp, err !== undefined);
    const inner = this.span(traceId, sp.spanId, 'render order_confirmed', 1, start + 1, start + own.dur * 0.6, [s('template', 'order_confirmed')], undefined);
    this.push(name, inner, err !== undefined);
  }
}

export interface TraceMinute {
  line: string;
  ids: Map<string, TraceIds>;
  spanCount: number;
}

export function renderTraces(f: Frame, seed: number, perMinute = { natural: 10, checkout: 7, consumer: 2 }): TraceMinute {
  const rng = Rng.for(seed, 'traces', f.minute);
  const bld = new Builder(f, rng);
  const starts: [number, Route | undefined][] = [];
  for (let k = 0; k < perMinute.natural; k++) starts.push([rng.float(0, 58_000), rng.weighted(ROUTES.map((r) => [r, r.weight] as const))]);
  for (let k = 0; k < perMinute.checkout; k++) starts.push([rng.float(0, 58_000), CHECKOUT]);
  for (let k = 0; k < perMinute.consumer; k++) starts.push([rng.float(0, 58_000), undefined]);
  starts.sort((a, b) => a[0] - b[0]);
  for (const [off, route] of starts) {
    if (route) bld.root(route, f.tsMs + off);
    else bld.consumer(f.tsMs + off);
  }
  let spanCount = 0;
  const resourceSpans = [...bld.spans.entries()].map(([service, spans]) => {
    spanCount += spans.length;
    const spec = svc(service);
    return {
      resource: {
        attributes: [
          s('service.name', service), s('service.version', f.versions.get(service) ?? spec.version),
          s('host.name', spec.host ?? ''), s('deployment.environment', 'prod'), s('telemetry.sdk.language', spec.lang),
        ],
      },
      scopeSpans: [{ scope: { name: 'io.opentelemetry.auto', version: '2.9.0' }, spans }],
    };
  });
  return { line: JSON.stringify({ resourceSpans }), ids: bld.ids, spanCount };
}
