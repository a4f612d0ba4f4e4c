/** Observed metrics: samples each minute's state into the values written to metrics.csv (with counting noise). */
import type { Rng } from './random.js';
import type { Frame, HostMods } from './state.js';
import { HOSTS, METERED, servicesOnHost } from './topology.js';
import { nominalVisits } from './traffic.js';

export const MAX_DB_CONNECTIONS = 200;

export interface ObserveInput {
  hostMods: Map<string, HostMods>;
  disk: Map<string, number>;
  dbPressure: number;
  queueDepth: number;
  scaled: Map<string, number>;
  rng: Rng;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const r4 = (x: number): number => Math.round(x * 10000) / 10000;

export function observe(f: Frame, inp: ObserveInput): Map<string, number> {
  const rng = inp.rng;
  const out = new Map<string, number>();
  const put = (entity: string, metric: string, v: number): void => {
    out.set(`${entity}|${metric}`, v);
  };
  const cpu = new Map<string, number>();
  const mem = new Map<string, number>();

  // services first (hosts aggregate them), written after hosts below
  const svcRows: [string, string, number][] = [];
  for (const spec of METERED) {
    const st = f.svc.get(spec.name);
    if (!st) continue;
    const m = st.mods;
    const thr = m.down ? rng.poisson(1.5) : rng.poisson(st.thr);
    const errors = m.down ? thr : rng.binomial(thr, st.errProb);
    const errorRate = m.down ? 1 : thr > 0 ? errors / thr : st.errProb;
    let p95 = st.p95;
    if (spec.kind === 'database' && m.hangMs > 0) {
      const xs = Array.from(st.samples).filter((x) => x < m.hangMs - 1).sort((a, b) => a - b);
      p95 = xs[Math.max(0, Math.ceil(0.95 * xs.length) - 1)] ?? 0;
    }
    const load = st.thr / Math.max(1, f.rpm * nominalVisits(spec.name));
    let c = spec.cpuBase * load ** 0.85 * (1 + rng.normal(0, 0.035)) * (inp.scaled.get(spec.name) ?? 1) + m.cpuAdd;
    if (m.cpuSat > 0) c += (rng.float(95.5, 99.8) - c) * Math.min(1, m.cpuSat * 1.15);
    if (m.restarts > 0) c *= 1.25;
    c = m.down ? 0 : clamp(c, 0.5, 100);
    const rss = m.down ? 0 : m.memMb * (1 + rng.normal(0, 0.006));
    cpu.set(spec.name, c);
    mem.set(spec.name, rss);
    svcRows.push(
      [spec.name, 'latency_p95_ms', m.down ? 0 : r1(p95)],
      [spec.name, 'error_rate', r4(errorRate)],
      [spec.name, 'throughput_rpm', thr],
      [spec.name, 'cpu_util', r1(c)],
      [spec.name, 'mem_rss_mb', Math.round(rss)],
      [spec.name, 'restarts', m.restarts],
    );
    if (spec.kind === 'database') {
      const ratio = st.thr / Math.max(1, f.rpm * nominalVisits(spec.name));
      const base = 38 * ratio ** 0.6 * m.latMult ** 0.3 + rng.normal(0, 2.5);
      const active = Math.round(clamp(base + (MAX_DB_CONNECTIONS - base) * inp.dbPressure, 1, MAX_DB_CONNECTIONS));
      svcRows.push(
        [spec.name, 'active_connections', active],
        [spec.name, 'pool_utilization', r3(active / MAX_DB_CONNECTIONS)],
        [spec.name, 'slow_queries', rng.poisson(0.6 + st.thr * m.slowProb * 0.25 + 60 * inp.dbPressure)],
      );
    }
    if (spec.kind === 'cache') svcRows.push([spec.name, 'hit_rate', m.down ? 0 : r4(clamp(f.hitRate + rng.normal(0, 0.003), 0, 1))]);
    if (spec.kind === 'queue') svcRows.push([spec.name, 'queue_depth', Math.round(inp.queueDepth)]);
  }

  for (const h of HOSTS) {
    const hm = inp.hostMods.get(h.name);
    const on = servicesOnHost(h.name);
    let c = 3 + rng.normal(0, 1.2) + (hm?.cpuAdd ?? 0);
    let memMb = h.osMemMb;
    let traffic = 0;
    for (const s of on) {
      c += (cpu.get(s.name) ?? 0) * s.cpuShare;
      memMb += mem.get(s.name) ?? 0;
      traffic += f.svc.get(s.name)?.thr ?? 0;
    }
    put(h.name, 'cpu_util', r1(clamp(c, 0.5, 100)));
    put(h.name, 'mem_util', r1(clamp((memMb / (h.memoryGb * 1024)) * 100 + rng.normal(0, 0.2), 0, 100)));
    put(h.name, 'disk_util', r1(clamp(inp.disk.get(h.name) ?? 50, 0, 100)));
    put(h.name, 'net_retransmits', rng.poisson(3 + traffic / 400) + Math.round(hm?.retransAdd ?? 0));
  }
  for (const [e, m, v] of svcRows) put(e, m, v);

  // business KPIs, from the checkout path
  const order = f.svc.get('order-service');
  const payment = f.svc.get('payment-service');
  const attempts = rng.poisson(order?.thr ?? 0);
  const orders = rng.binomial(attempts, (1 - (order?.errProb ?? 0)) * (1 - f.declineRate));
  const payN = rng.poisson(payment?.thr ?? 0);
  const payOk = rng.binomial(payN, (1 - (payment?.errProb ?? 0)) * (1 - f.declineRate));
  const basket = 58 * (1 + rng.normal(0, 0.3 / Math.sqrt(Math.max(1, orders))));
  put('business', 'orders_per_minute', orders);
  put('business', 'payment_success_rate', payN > 0 ? r4(payOk / payN) : 1);
  put('business', 'transaction_amount', Math.round(orders * basket * 100) / 100);
  return out;
}
