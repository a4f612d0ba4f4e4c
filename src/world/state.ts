/** Per-minute simulation state shared by the engine, the fault models and the renderers. */
import type { LogLevel } from '../model/telemetry.js';
import type { Rng } from './random.js';

/** What one component does on its own in a minute (before its callees are taken into account). */
export interface Mods {
  latMult: number; // multiplier on own processing time
  latAddMs: number; // added to own processing time
  slowProb: number; // share of requests hitting a long stall (GC pause, queueing, slow query)
  slowMs: number; // typical length of such a stall
  err: number; // probability that a request fails fast
  hangProb: number; // probability that a request hangs for hangMs, then fails
  hangMs: number;
  down: boolean; // refuses connections
  cpuAdd: number; // percentage points on top of load-driven cpu
  cpuSat: number; // saturation level 0..1 (pulls cpu_util towards 97 %)
  restarts: number;
  memMb: number; // resident memory this minute
  errType?: string; // what a fault's own errors look like in spans (exception.type)
}

export interface LinkMods {
  delayMs: number; // extra one-way network delay on caller->callee
  lossProb: number; // probability a call is lost and runs into the client timeout
  timeoutMs?: number; // client timeout override (configuration)
  configKey?: string; // the configuration key that set timeoutMs
  breaker?: boolean; // circuit breaker: calls that would time out fail fast instead
}

export interface HostMods {
  cpuAdd: number;
  retransAdd: number;
}

/** Extra log lines a fault, a change or a red herring causes in a minute. */
export interface LogEvent {
  service: string;
  level: LogLevel;
  count: number;
  make: (rng: Rng) => string;
  window?: [number, number]; // part of the minute the lines fall in (fractions); whole minute if absent
}

export interface EdgeStat {
  callsPerMin: number;
  timeoutP: number; // a call runs into the client timeout
  errP: number; // a call gets an error answer (not a timeout)
  fallbackP?: number; // cache edges: share of calls answered from the database instead
}

export interface SvcState {
  name: string;
  mods: Mods;
  samples: Float64Array; // server-side durations of representative requests (ms)
  p95: number;
  errProb: number; // share of requests failing
  hangProb: number;
  thr: number; // expected requests per minute
  edges: Map<string, EdgeStat>; // by callee
}

export interface Frame {
  minute: number;
  tsMs: number;
  rpm: number; // requests per minute entering the gateway
  svc: Map<string, SvcState>;
  links: Map<string, LinkMods>;
  hitRate: number;
  fallback: number; // share of cache failures that callers route to the database
  versions: Map<string, string>;
  acquirer: string;
  checkoutP95: number; // web-frontend p95 for checkout requests
  declineRate: number;
  events: LogEvent[];
  /** observed metric values, key `${entity}|${metric}`, in writing order */
  obs: Map<string, number>;
}

export function defaultMods(memMb: number): Mods {
  return {
    latMult: 1, latAddMs: 0, slowProb: 0, slowMs: 0, err: 0, hangProb: 0, hangMs: 0, down: false,
    cpuAdd: 0, cpuSat: 0, restarts: 0, memMb,
  };
}

export function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}

export const MINUTE_MS = 60_000;
