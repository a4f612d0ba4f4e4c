/**
 * Latency and error propagation for one minute. Each component gets a set of representative request durations
 * (own time plus the calls it makes, sampled from its callees' sets, bounded by client timeouts) and an error
 * probability derived analytically from its own failures and its callees'. Callers therefore inherit their callees'
 * trouble, weighted by how often they call them.
 */
import type { Rng } from './random.js';
import { type EdgeSpec, LEAF_FIRST, edgesFrom, findEdge, svc, type ServiceSpec } from './topology.js';
import { type EdgeStat, type LinkMods, type Mods, type SvcState, linkKey } from './state.js';

export const N_SAMPLES = 160;
/** the edge components get more samples: their p95 mixes rare slow paths (checkout) with common fast ones */
const N_EDGE_SAMPLES = 800;
const FALLBACK_QUERY_MS = [5, 25]; // an uncached lookup costs more than the cached path's usual query

export interface LatencyInput {
  mods: Map<string, Mods>;
  links: Map<string, LinkMods>;
  hitRate: number;
  fallback: number;
  rng: Rng;
}

/** one request's own processing time (ms) and whether it hung */
export function ownDuration(spec: ServiceSpec, m: Mods, rng: Rng): { dur: number; hang: boolean } {
  if (m.hangProb > 0 && rng.next() < m.hangProb) return { dur: m.hangMs, hang: true };
  let d = rng.lognormal(spec.ownMs * m.latMult, spec.sigma) + m.latAddMs;
  if (m.slowProb > 0 && rng.next() < m.slowProb) d += m.slowMs * rng.float(0.5, 1.5);
  return { dur: d, hang: false };
}

export function netMs(rng: Rng): number {
  return 0.3 + rng.next() * 1.2;
}

export function clientTimeout(e: EdgeSpec, links: Map<string, LinkMods>): number {
  return links.get(linkKey(e.from, e.to))?.timeoutMs ?? e.timeoutMs;
}

export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

/** duration of one call as the caller sees it (ms), sampled from the callee's representative set */
export function sampleCall(e: EdgeSpec, states: Map<string, SvcState>, inp: LatencyInput, rng: Rng): number {
  const d = states.get(e.to);
  if (!d) return 0;
  const link = inp.links.get(linkKey(e.from, e.to));
  const timeout = link?.timeoutMs ?? e.timeoutMs;
  if (link && link.lossProb > 0 && rng.next() < link.lossProb) return link.breaker ? 1 : timeout;
  let x = (d.samples[Math.floor(rng.next() * d.samples.length)] ?? 0) + netMs(rng);
  if (link) x += link.delayMs * rng.float(0.7, 1.3);
  const timedOut = x >= timeout;
  if (timedOut) x = link?.breaker ? 1 : timeout;
  if (e.kind !== 'cache') return x;
  const pgEdge = findEdge(e.from, 'postgres-main');
  const failed = d.mods.down || timedOut || rng.next() < d.errProb;
  if (failed) {
    if (d.mods.down) x += rng.float(20, 60); // the client retries the refused connection
    if (pgEdge && rng.next() < inp.fallback) x += sampleCall(pgEdge, states, inp, rng) + rng.float(FALLBACK_QUERY_MS[0] ?? 5, FALLBACK_QUERY_MS[1] ?? 25);
  } else if (pgEdge && rng.next() > inp.hitRate) {
    x += sampleCall(pgEdge, states, inp, rng);
  }
  return x;
}

function edgeStat(e: EdgeSpec, states: Map<string, SvcState>, inp: LatencyInput): EdgeStat & { callErr: number } {
  const d = states.get(e.to);
  if (!d) return { callsPerMin: 0, timeoutP: 0, errP: 0, callErr: 0 };
  const link = inp.links.get(linkKey(e.from, e.to));
  const timeout = link?.timeoutMs ?? e.timeoutMs;
  const delay = link?.delayMs ?? 0;
  let over = 0;
  for (const s of d.samples) if (s + 1 + delay >= timeout) over++;
  const tFrac = over / d.samples.length;
  const loss = link?.lossProb ?? 0;
  const timeoutP = 1 - (1 - loss) * (1 - tFrac);
  const hangBelow = d.mods.hangMs + delay < timeout ? d.hangProb : 0;
  const fastErr = d.hangProb >= 1 ? 1 : 1 - (1 - d.errProb) / (1 - d.hangProb); // errors other than hangs
  const errP = (1 - timeoutP) * (1 - (1 - fastErr) * (1 - hangBelow));
  return { callsPerMin: 0, timeoutP, errP, callErr: Math.min(1, timeoutP + errP) };
}

/** computes every component's state for the minute, callees first */
export function computeStates(inp: LatencyInput): Map<string, SvcState> {
  const states = new Map<string, SvcState>();
  const rng = inp.rng;
  for (const name of LEAF_FIRST) {
    const spec = svc(name);
    const m = inp.mods.get(name);
    if (!m) throw new Error(`no mods for ${name}`);
    const edges = edgesFrom(name);
    const ns = spec.tier === 0 && (spec.kind === 'gateway' || name === 'web-frontend') ? N_EDGE_SAMPLES : N_SAMPLES;
    const samples = new Float64Array(ns);
    for (let j = 0; j < ns; j++) {
      if (m.down) {
        samples[j] = 0.2 + rng.next() * 0.3;
        continue;
      }
      const own = ownDuration(spec, m, rng);
      let total = own.dur;
      if (!own.hang) for (const e of edges) if (rng.next() < e.p) total += sampleCall(e, states, inp, rng);
      samples[j] = total;
    }
    // errors
    const stats = new Map<string, EdgeStat>();
    let ok = 1 - Math.min(1, m.err);
    for (const e of edges) {
      const st = edgeStat(e, states, inp);
      let contribution: number;
      if (e.kind === 'cache') {
        const pg = findEdge(name, 'postgres-main');
        const cpg = pg ? edgeStat(pg, states, inp).callErr : 0;
        const cr = st.callErr;
        st.fallbackP = cr * inp.fallback + (1 - cr) * (1 - inp.hitRate);
        contribution = cr * (1 - (1 - e.prop) * inp.fallback * (1 - cpg)) + (1 - cr) * (1 - inp.hitRate) * cpg;
      } else {
        contribution = e.prop * st.callErr;
      }
      ok *= 1 - e.p * contribution;
      stats.set(e.to, { callsPerMin: 0, timeoutP: st.timeoutP, errP: st.errP, fallbackP: st.fallbackP });
    }
    const fastErr = m.down ? 1 : 1 - ok;
    const hang = m.down ? 0 : Math.min(1, m.hangProb);
    const errProb = 1 - (1 - fastErr) * (1 - hang);
    const sorted = Float64Array.from(samples).sort();
    states.set(name, { name, mods: m, samples, p95: quantile(sorted, 0.95), errProb, hangProb: hang, thr: 0, edges: stats });
  }
  return states;
}

/** p95 of web-frontend requests that go through checkout (for the CheckoutLatencyHigh rule) */
export function checkoutP95(states: Map<string, SvcState>, inp: LatencyInput): number {
  const web = svc('web-frontend');
  const m = inp.mods.get(web.name);
  const toOrder = findEdge(web.name, 'order-service');
  const toUser = findEdge(web.name, 'user-service');
  if (!m || !toOrder || !toUser) return 0;
  const n = 300;
  const xs = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = ownDuration(web, m, inp.rng).dur + sampleCall(toOrder, states, inp, inp.rng);
    if (inp.rng.next() < toUser.p) t += sampleCall(toUser, states, inp, inp.rng);
    xs[j] = t;
  }
  xs.sort();
  return quantile(xs, 0.95);
}
