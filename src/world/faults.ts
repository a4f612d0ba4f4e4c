/**
 * Fault models: what each fault kind does to its target minute by minute, and which action ends it.
 * Effects are written into the minute's Mods/LinkMods/HostMods; callers' symptoms follow from latency.ts.
 */
import type { FaultKind } from '../model/evidence.js';
import type { ActionKind } from '../model/remediation.js';
import type { ChangeEvent } from '../model/telemetry.js';
import { Rng } from './random.js';
import type { Frame, HostMods, LinkMods, LogEvent, Mods } from './state.js';
import { linkKey } from './state.js';
import { type EdgeSpec, edgesFrom, svc } from './topology.js';
import { badDeployMessage, bumpVersion, changeId, configKeyFor, gcPauseMessage, oomMessages, startedMessage } from './templates.js';

export const FAULT_RUNBOOKS: Record<FaultKind, string> = {
  cpu_saturation: 'rb-cpu-saturation',
  memory_leak: 'rb-memory-leak',
  disk_full: 'rb-disk-full',
  network_latency: 'rb-network-latency',
  db_connection_exhaustion: 'rb-db-connection-exhaustion',
  bad_deploy: 'rb-bad-deploy',
  config_change: 'rb-config-change',
  third_party_timeout: 'rb-third-party-timeout',
  cache_outage: 'rb-cache-outage',
};

const FIX_ACTION: Record<FaultKind, ActionKind> = {
  cpu_saturation: 'scale_out',
  memory_leak: 'restart_service',
  disk_full: 'free_disk',
  network_latency: 'failover',
  db_connection_exhaustion: 'kill_slow_queries',
  bad_deploy: 'rollback_deploy',
  config_change: 'revert_config',
  third_party_timeout: 'failover',
  cache_outage: 'restart_service',
};

export const ACQUIRERS = { primary: 'northbank-eu', backup: 'southpay-eu' } as const;

/** state the engine carries from minute to minute and shares with the fault */
export interface Carry {
  leakMb: Map<string, number>;
  disk: Map<string, number>;
  warmUntil: Map<string, number>; // service -> last minute of post-restart warm-up
  versions: Map<string, string>;
  acquirer: string;
  cacheWarmFrom: number | undefined; // minute the cache came back empty
  fallback: number;
  dbPressure: number; // 0..1, drives active_connections / pool_utilization
}

export interface FaultCtx {
  minute: number;
  tsMs: number;
  rng: Rng;
  mods: Map<string, Mods>;
  links: Map<string, LinkMods>;
  hostMods: Map<string, HostMods>;
  events: LogEvent[];
  carry: Carry;
  thrNominal: (name: string) => number;
}

const DECAY = [0.45, 0.12, 0.02];

function mod(ctx: FaultCtx, name: string): Mods {
  const m = ctx.mods.get(name);
  if (!m) throw new Error(`no mods for ${name}`);
  return m;
}

function hostMod(ctx: FaultCtx, host: string): HostMods {
  let h = ctx.hostMods.get(host);
  if (!h) ctx.hostMods.set(host, (h = { cpuAdd: 0, retransAdd: 0 }));
  return h;
}

function ev(ctx: FaultCtx, service: string, level: LogEvent['level'], count: number, make: (r: Rng) => string, window?: [number, number]): void {
  if (count > 0) ctx.events.push({ service, level, count, make, ...(window ? { window } : {}) });
}

export class Fault {
  fixedAt: number | undefined;
  readonly reliefs: number[] = [];
  readonly changeMinute: number; // deploy/config change time (bad_deploy, config_change)
  readonly mag: number; // 0..1, seed-dependent severity
  private readonly oldVersion: string;
  readonly newVersion: string;
  readonly dep: EdgeSpec | undefined; // config_change: the edge whose client timeout is changed
  readonly configTo: number;
  readonly period: number; // memory_leak: minutes from empty to OOM
  readonly fillMinutes: number; // disk_full
  private diskAtOnset: number | undefined;
  private lastOom = -10;

  constructor(
    readonly kind: FaultKind,
    readonly target: string,
    readonly onset: number,
    seed: number,
  ) {
    const r = Rng.for(seed, 'fault', kind, target);
    this.mag = r.next();
    this.changeMinute = onset - (kind === 'bad_deploy' ? r.int(0, 2) : r.int(0, 1));
    const spec = kind === 'network_latency' ? undefined : svc(target);
    this.oldVersion = spec?.version ?? '';
    this.newVersion = spec ? bumpVersion(spec.version, r) : '';
    // config_change: the client timeout towards the slowest callee (order-service -> payment-service)
    this.dep = spec
      ? [...edgesFrom(target)].filter((e) => e.kind === 'http' || e.kind === 'external').sort((a, b) => svc(b.to).ownMs - svc(a.to).ownMs)[0]
      : undefined;
    this.configTo = r.pick([250, 300, 350]);
    this.period = r.int(6, 9);
    this.fillMinutes = r.int(3, 4);
  }

  get link(): [string, string] {
    const [a, b] = this.target.split('->');
    return [a ?? '', b ?? ''];
  }

  fixedBy(): { action: ActionKind; target: string }[] {
    return [{ action: FIX_ACTION[this.kind], target: this.target }];
  }

  active(minute: number): boolean {
    return minute >= this.onset && (this.fixedAt === undefined || minute < this.fixedAt);
  }

  /** intensity 0..1: ramps in after onset, decays after the fix, dips during a temporary relief */
  level(minute: number, ramp: number): number {
    if (minute < this.onset) return 0;
    let l = Math.min(1, (minute - this.onset + 1) / ramp);
    if (this.fixedAt !== undefined && minute >= this.fixedAt) l *= DECAY[minute - this.fixedAt] ?? 0;
    if (this.reliefs.some((t) => minute >= t && minute < t + 2)) l *= 0.15;
    return l;
  }

  /** the changes (deploy/config) the fault brings with it, before onset */
  changes(t0: number): ChangeEvent[] {
    const ts = t0 + this.changeMinute * 60_000 + 17_000;
    if (this.kind === 'bad_deploy') {
      return [{ id: changeId(this.target, this.changeMinute), ts, kind: 'deploy', target: this.target,
        description: `Deploy ${this.target} ${this.newVersion}`, from: this.oldVersion, to: this.newVersion, author: 'ci-pipeline' }];
    }
    if (this.kind === 'config_change' && this.dep) {
      const key = configKeyFor(this.dep);
      return [{ id: changeId(this.target, this.changeMinute), ts, kind: 'config', target: this.target,
        description: `set ${key} ${this.dep.timeoutMs}→${this.configTo}`, from: String(this.dep.timeoutMs), to: String(this.configTo), author: 'j.miller' }];
    }
    return [];
  }

  /** writes the fault's effect for ctx.minute */
  apply(ctx: FaultCtx): void {
    const i = ctx.minute;
    const X = this.target;
    switch (this.kind) {
      case 'cpu_saturation': {
        const L = this.level(i, 3);
        if (L <= 0) return;
        const m = mod(ctx, X);
        m.cpuSat = Math.max(m.cpuSat, L);
        m.latMult *= 1 + (2 + 3 * this.mag) * L;
        m.slowProb += 0.12 * L;
        m.slowMs = Math.max(m.slowMs, 2500);
        m.hangProb += (0.015 + 0.03 * this.mag) * L;
        m.hangMs = 8000;
        hostMod(ctx, svc(X).host ?? '').cpuAdd += 12 * L;
        ev(ctx, X, 'WARN', ctx.rng.poisson(1 + 8 * L), (r) => `Request processing slow: took ${r.int(1500, 6500)} ms`);
        ev(ctx, X, 'WARN', ctx.rng.poisson(0.5 + 4 * L),
          (r) => `Thread pool queue size ${r.int(Math.round(200 + 500 * L), Math.round(300 + 900 * L))} exceeds threshold 200`);
        return;
      }
      case 'memory_leak': {
        if (i < this.onset) return;
        const spec = svc(X);
        const m = mod(ctx, X);
        const rate = ((spec.memLimitMb - spec.memBaseMb) / this.period) * (this.fixedAt === undefined ? 1 : 1 / 15);
        let leak = (ctx.carry.leakMb.get(X) ?? 0) + rate * ctx.rng.float(0.9, 1.1);
        const f = (spec.memBaseMb + leak) / spec.memLimitMb;
        const gc = f > 0.86 ? Math.min(1, (f - 0.86) / 0.14) : 0; // GC thrash just before the heap is exhausted
        m.latMult *= 1 + 3 * gc;
        m.slowProb += 0.3 * gc;
        m.slowMs = Math.max(m.slowMs, 1800);
        m.err += 0.06 * gc;
        m.hangProb += 0.05 * gc;
        m.hangMs = Math.max(m.hangMs, 5000);
        if (this.lastOom === i - 1) {
          // the JVM came back cold after the crash: empty caches, JIT warm-up, a pod that flaps readiness
          m.slowProb += 0.15;
          m.slowMs = Math.max(m.slowMs, 2200);
          m.err += 0.04;
        }
        const oom = spec.memBaseMb + leak >= spec.memLimitMb;
        if (f > 0.55) {
          const used = Math.round(Math.min(spec.memBaseMb + leak, spec.memLimitMb) * 0.92);
          ev(ctx, X, 'WARN', ctx.rng.poisson(0.6 + 8 * gc), (r) => gcPauseMessage(spec, r, gc, used), oom ? [0, 0.5] : undefined);
        }
        if (oom) {
          this.lastOom = i;
          m.restarts = Math.max(m.restarts, 1);
          m.err += 0.25 + 0.15 * this.mag;
          m.latMult *= 2;
          leak = rate * 0.3;
          ctx.carry.warmUntil.set(X, i + 1);
          ev(ctx, X, 'ERROR', ctx.rng.int(1, 3), () => 'java.lang.OutOfMemoryError: Java heap space', [0.5, 0.56]);
          for (const [level, make] of oomMessages(spec)) ev(ctx, X, level, 1, make, [0.56, 0.6]);
          ev(ctx, X, 'INFO', 1, (r) => startedMessage(spec, ctx.carry.versions.get(X) ?? spec.version, r), [0.8, 0.9]);
        }
        ctx.carry.leakMb.set(X, leak);
        m.memMb = spec.memBaseMb + leak;
        return;
      }
      case 'disk_full': {
        const spec = svc(X);
        const host = spec.host ?? '';
        const m = mod(ctx, X);
        let disk = ctx.carry.disk.get(host) ?? 50;
        if (this.active(i)) {
          if (i === this.onset || this.diskAtOnset === undefined) this.diskAtOnset = disk;
          disk = Math.min(100, disk + ((100 - this.diskAtOnset) / this.fillMinutes) * ctx.rng.float(0.85, 1.15));
          ctx.carry.disk.set(host, disk);
        }
        if (disk >= 99.95) {
          const e = 0.4 + 0.35 * this.mag;
          m.err += e;
          m.errType = 'ENOSPC';
          m.latMult *= 1.15;
          const n = ctx.rng.poisson(Math.min(14, ctx.thrNominal(X) * e * 0.1) + 1);
          ev(ctx, X, 'ERROR', n, (r) => `Failed to write ${spec.dataDir}/spool/${r.pick(['shp', 'lbl', 'evt'])}-${r.int(100000, 999999)}.json: No space left on device`);
        } else if (disk > 92) {
          ev(ctx, X, 'WARN', 1, () => `Disk usage of ${spec.dataDir} at ${Math.floor(disk)}%`);
        }
        return;
      }
      case 'network_latency': {
        const L = this.level(i, 2);
        if (L <= 0) return;
        const [a, b] = this.link;
        const k = linkKey(a, b);
        const cur = ctx.links.get(k) ?? { delayMs: 0, lossProb: 0 };
        cur.delayMs += (150 + 450 * this.mag) * L;
        cur.lossProb += (0.08 + 0.08 * this.mag) * L;
        ctx.links.set(k, cur);
        hostMod(ctx, svc(a).host ?? '').retransAdd += (180 + 600 * this.mag) * L * ctx.rng.float(0.8, 1.2);
        return;
      }
      case 'db_connection_exhaustion': {
        const L = this.level(i, 3);
        ctx.carry.dbPressure = L;
        if (L <= 0) return;
        const m = mod(ctx, X);
        m.latMult *= 1 + 4 * L;
        m.slowProb += 0.08 * L;
        m.slowMs = Math.max(m.slowMs, 4000);
        m.hangProb += (0.08 + 0.12 * this.mag) * L;
        m.hangMs = 30000;
        m.cpuAdd += 30 * L;
        ev(ctx, X, 'INFO', ctx.rng.poisson(2 + 22 * L), (r) => `duration: ${r.float(1200, 9000).toFixed(3)} ms  statement: ${r.pick(SLOW_SQL)}`);
        ev(ctx, X, 'FATAL', ctx.rng.poisson(3 * L), () => 'remaining connection slots are reserved for non-replication superuser connections');
        return;
      }
      case 'bad_deploy': {
        const spec = svc(X);
        if (i === this.changeMinute) {
          mod(ctx, X).restarts = 1;
          ctx.carry.versions.set(X, this.newVersion);
          ev(ctx, X, 'INFO', 1, (r) => startedMessage(spec, this.newVersion, r));
        }
        const L = this.level(i, 3);
        if (L <= 0) return;
        const m = mod(ctx, X);
        const e = (0.35 + 0.4 * this.mag) * L;
        m.errType = spec.lang === 'java' ? 'java.lang.NullPointerException' : spec.lang === 'go' ? 'runtime.Error' : 'TypeError';
        m.err += e;
        m.latMult *= 1 + 0.15 * L;
        ev(ctx, X, 'ERROR', ctx.rng.poisson(Math.min(25, ctx.thrNominal(X) * e * 0.1) + L), (r) => badDeployMessage(spec, r));
        return;
      }
      case 'config_change': {
        const dep = this.dep;
        if (!dep) return;
        const key = configKeyFor(dep);
        if (i === this.changeMinute) ev(ctx, X, 'INFO', 1, () => `Configuration reloaded: ${key}=${this.configTo} (was ${dep.timeoutMs})`);
        if (this.level(i, 1) < 0.5) return;
        const k = linkKey(X, dep.to);
        const cur = ctx.links.get(k) ?? { delayMs: 0, lossProb: 0 };
        cur.timeoutMs = this.configTo;
        cur.configKey = key;
        ctx.links.set(k, cur);
        return;
      }
      case 'third_party_timeout': {
        const L = this.level(i, 2);
        if (L <= 0) return;
        const m = mod(ctx, X);
        m.latMult *= 1 + 2 * L;
        m.hangProb += (0.3 + 0.3 * this.mag) * L;
        m.hangMs = 12000;
        return;
      }
      case 'cache_outage': {
        if (!this.active(i)) return;
        const m = mod(ctx, X);
        m.down = true;
        m.memMb = 0;
        const k = i - this.onset;
        ctx.carry.fallback = k === 0 ? 0.7 : k === 1 ? 0.95 : 1; // clients need a moment to switch to the database path
        if (k === 0) {
          ev(ctx, X, 'FATAL', 1, () => `Redis ${svc(X).version} crashed by signal: 11 (SIGSEGV)`, [0, 0.02]);
          ev(ctx, X, 'FATAL', 1, () => '=== REDIS BUG REPORT START: Cut & paste starting from here ===', [0.02, 0.03]);
        }
        return;
      }
    }
  }

  /** fault-specific reaction to a valid action that is not the fix (e.g. a restart that helps only briefly) */
  react(action: ActionKind, target: string, minute: number): string | undefined {
    if (this.fixedAt !== undefined || minute < this.onset) return undefined;
    if (action === 'restart_service' && target === this.target) {
      if (this.kind === 'cpu_saturation' || this.kind === 'db_connection_exhaustion') {
        this.reliefs.push(minute);
        return undefined;
      }
    }
    return undefined;
  }
}

export const SLOW_SQL = [
  'SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > $1 ORDER BY o.created_at',
  'SELECT p.*, s.qty FROM products p LEFT JOIN stock s ON s.product_id = p.id WHERE p.category_id = $1',
  'SELECT count(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.status = $1',
  'UPDATE stock SET qty = qty - $1 WHERE product_id = $2',
  'SELECT * FROM payments WHERE order_id = ANY($1) FOR UPDATE',
  'SELECT u.id, u.email, a.* FROM users u JOIN addresses a ON a.user_id = u.id WHERE u.id = $1',
];

export type { Frame };
