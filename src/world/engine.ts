/**
 * The minute-by-minute simulation. Each step builds the components' own state (baseline + red herrings + fault +
 * remediation effects), propagates latency/errors up the call graph, derives traffic, and samples the observed
 * metrics. Randomness comes from per-minute streams, so a minute's content depends only on the seed, the minute and
 * what happened before it, never on how the minutes were batched.
 */
import type { ChangeEvent } from '../model/telemetry.js';
import type { ScenarioDef } from './types.js';
import { type Carry, Fault, type FaultCtx, ACQUIRERS } from './faults.js';
import { checkoutP95, computeStates } from './latency.js';
import { observe } from './metrics.js';
import { applyNoise, type NoisePlan, noiseChanges, planNoise } from './noise.js';
import { Rng } from './random.js';
import { type Frame, type HostMods, type LinkMods, type LogEvent, MINUTE_MS, type Mods, defaultMods, linkKey } from './state.js';
import { startedMessage } from './templates.js';
import { EDGES, HOSTS, SERVICES, edgesFrom, svc } from './topology.js';
import { BASE_HIT, nominalVisits, visitsPerRequest } from './traffic.js';

export const BASE_T0 = Date.UTC(2026, 10, 20, 8, 0, 0);

export class Engine {
  readonly t0: number;
  readonly onset: number;
  readonly fault: Fault;
  readonly noise: NoisePlan;
  readonly frames: Frame[] = [];
  readonly changes: ChangeEvent[] = [];
  readonly carry: Carry;
  readonly baseRpm: number;
  /** action effects scheduled by the world, by minute */
  readonly restarts = new Map<number, Set<string>>();
  readonly breakers = new Set<string>();
  readonly scaled = new Map<string, number>();
  readonly diskFreed = new Map<number, string[]>();
  readonly extraEvents = new Map<number, LogEvent[]>();
  cacheClearedAt: number | undefined;
  private drift = 1;
  private pgLoad = 1;
  private queueDepth: number;

  constructor(
    readonly def: ScenarioDef,
    readonly seed: number,
  ) {
    const r = Rng.for(seed, 'world');
    this.t0 = BASE_T0 + r.int(0, 600) * MINUTE_MS;
    this.onset = 60 + r.int(-5, 5);
    this.baseRpm = r.float(3000, 4200);
    this.queueDepth = r.int(80, 160);
    this.fault = new Fault(def.fault.kind, def.fault.target, this.onset, seed);
    this.noise = planNoise(seed, this.t0, this.fault);
    this.carry = {
      leakMb: new Map(),
      disk: new Map(HOSTS.map((h) => [h.name, h.diskBase + r.float(-4, 4)])),
      warmUntil: new Map(),
      versions: new Map(SERVICES.map((s) => [s.name, s.version])),
      acquirer: ACQUIRERS.primary,
      cacheWarmFrom: undefined,
      fallback: 1,
      dbPressure: 0,
    };
    this.changes.push(...noiseChanges(this.noise, this.t0), ...this.fault.changes(this.t0));
    this.changes.sort((a, b) => a.ts - b.ts);
  }

  tsOf(minute: number): number {
    return this.t0 + minute * MINUTE_MS;
  }

  /** computes the next minute */
  step(): Frame {
    const i = this.frames.length;
    const tsMs = this.tsOf(i);
    const rng = Rng.for(this.seed, 'state', i);
    const hour = ((tsMs / 3_600_000) % 24 + 24) % 24;
    const season = 1 + 0.25 * Math.sin((2 * Math.PI * (hour - 14)) / 24);
    this.drift = 1 + (this.drift - 1) * 0.95 + rng.normal(0, 0.008);
    const rpm = this.baseRpm * season * this.drift;

    const mods = new Map<string, Mods>();
    for (const s of SERVICES) {
      const m = defaultMods(s.memBaseMb);
      m.latMult = Math.exp(rng.normal(0, 0.03));
      m.err = s.baseErr;
      mods.set(s.name, m);
    }
    const links = new Map<string, LinkMods>();
    const hostMods = new Map<string, HostMods>();
    const events: LogEvent[] = [...(this.extraEvents.get(i) ?? [])];
    this.carry.fallback = 1;
    const ctx: FaultCtx = {
      minute: i, tsMs, rng: Rng.for(this.seed, 'fault', i), mods, links, hostMods, events, carry: this.carry,
      thrNominal: (name) => rpm * nominalVisits(name),
    };

    this.applyScheduled(i, ctx);
    applyNoise(this.noise, ctx);
    this.fault.apply(ctx);
    const hitRate = this.cacheState(i, mods, rng);
    // the database feels last minute's load (connection pile-up lags the traffic shift)
    const pg = mods.get('postgres-main');
    if (pg && this.pgLoad > 1.15) {
      const x = this.pgLoad - 1.15;
      pg.latMult *= 1 + 0.5 * x;
      pg.slowProb += Math.min(0.01, 0.003 * x);
      pg.slowMs = Math.max(pg.slowMs, 1500);
      pg.cpuAdd += Math.min(35, 12 * x);
    }
    for (const b of this.breakers) {
      for (const e of EDGES) {
        if (b === linkKey(e.from, e.to) || b === e.to) {
          const k = linkKey(e.from, e.to);
          links.set(k, { ...(links.get(k) ?? { delayMs: 0, lossProb: 0 }), breaker: true });
        }
      }
    }

    const inp = { mods, links, hitRate, fallback: this.carry.fallback, rng: Rng.for(this.seed, 'lat', i) };
    const states = computeStates(inp);
    const redis = states.get('redis-cache');
    const visits = visitsPerRequest(hitRate, redis?.errProb ?? 0, this.carry.fallback);
    for (const st of states.values()) {
      st.thr = rpm * (visits.get(st.name) ?? 0);
      for (const e of edgesFrom(st.name)) {
        const es = st.edges.get(e.to);
        if (es) es.callsPerMin = st.thr * e.p;
      }
    }
    this.pgLoad = (visits.get('postgres-main') ?? 0) / nominalVisits('postgres-main');
    const produced = states.get('kafka')?.thr ?? 0;
    this.queueDepth = Math.max(0, this.queueDepth * 0.55 + 55 + rng.normal(0, 12) + produced * rng.normal(0, 0.01));

    const frame: Frame = {
      minute: i, tsMs, rpm, svc: states, links, hitRate, fallback: this.carry.fallback,
      versions: new Map(this.carry.versions), acquirer: this.carry.acquirer,
      checkoutP95: checkoutP95(states, inp), declineRate: 0.022 + rng.normal(0, 0.002), events, obs: new Map(),
    };
    frame.obs = observe(frame, {
      hostMods, disk: this.carry.disk, dbPressure: this.carry.dbPressure, queueDepth: this.queueDepth,
      scaled: this.scaled, rng: Rng.for(this.seed, 'metrics', i),
    });
    this.frames.push(frame);
    return frame;
  }

  private applyScheduled(i: number, ctx: FaultCtx): void {
    for (const name of this.restarts.get(i) ?? []) {
      const m = ctx.mods.get(name);
      if (!m) continue;
      m.restarts = 1;
      m.err += 0.02;
      m.latMult *= 1.5;
      this.carry.leakMb.set(name, 0);
      this.carry.warmUntil.set(name, i + 1);
      const spec = svc(name);
      if (spec.kind !== 'cache' && spec.kind !== 'database') {
        ctx.events.push({ service: name, level: 'INFO', count: 1, make: (r) => startedMessage(spec, this.carry.versions.get(name) ?? spec.version, r) });
      }
    }
    for (const [name, until] of this.carry.warmUntil) {
      const m = ctx.mods.get(name);
      if (m && until === i && m.restarts === 0) m.latMult *= 1.6;
    }
    for (const host of this.diskFreed.get(i) ?? []) {
      this.carry.disk.set(host, Math.max(20, (this.carry.disk.get(host) ?? 50) - ctx.rng.float(8, 12)));
    }
    for (const [host, d] of this.carry.disk) {
      this.carry.disk.set(host, Math.min(100, d + 0.004 + ctx.rng.normal(0, 0.01)));
    }
  }

  private cacheState(i: number, mods: Map<string, Mods>, rng: Rng): number {
    const redis = mods.get('redis-cache');
    if (redis?.down) return 0;
    let hit = BASE_HIT + rng.normal(0, 0.004);
    const warm = [0.45, 0.72, 0.86];
    for (const from of [this.carry.cacheWarmFrom, this.cacheClearedAt]) {
      if (from !== undefined && i >= from) hit = Math.min(hit, warm[i - from] ?? hit);
    }
    return hit;
  }
}
