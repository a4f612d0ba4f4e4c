/** Message templates for faults and changes, per service language. */
import type { LogLevel } from '../model/telemetry.js';
import { hashString, type Rng } from './random.js';
import type { EdgeSpec, ServiceSpec } from './topology.js';

export const short = (name: string): string => name.replace(/-(service|gateway|cache|main)$/, '');
const pascal = (s: string): string => s.split(/[-_]/).map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');

export function bumpVersion(v: string, r: Rng): string {
  const [maj = 1, min = 0, pat = 0] = v.split('.').map((x) => Number.parseInt(x, 10) || 0);
  return r.chance(0.6) ? `${maj}.${min + 1}.0` : `${maj}.${min}.${pat + 1}`;
}

export function previousVersion(v: string, steps: number): string {
  const [maj = 1, min = 0, pat = 0] = v.split('.').map((x) => Number.parseInt(x, 10) || 0);
  if (pat >= steps) return `${maj}.${min}.${pat - steps}`;
  return `${maj}.${Math.max(0, min - 1)}.${pat + 3 + steps}`;
}

export function changeId(target: string, minute: number): string {
  return `CHG-${10000 + (hashString(`${target}@${minute}`) % 90000)}`;
}

export function configKeyFor(dep: EdgeSpec): string {
  return `${short(dep.to)}.client.timeout.ms`;
}

export function javaClass(spec: ServiceSpec): string {
  return spec.logger.replace(/^c\./, 'com.');
}

export function startedMessage(spec: ServiceSpec, version: string, r: Rng): string {
  switch (spec.lang) {
    case 'java':
      return `Started ${pascal(short(spec.name))}ServiceApplication v${version} in ${r.float(6, 14).toFixed(2)} seconds (JVM running for ${r.float(14, 18).toFixed(2)})`;
    case 'go':
      return `starting ${spec.name} version=${version} listen=:${spec.port}`;
    case 'python':
      return `Application startup complete: ${spec.name} ${version} on http://0.0.0.0:${spec.port}`;
    default:
      return `${spec.name} ${version} listening on :${spec.port}`;
  }
}

export function gcPauseMessage(spec: ServiceSpec, r: Rng, gc: number, usedMb: number): string {
  const ms = Math.round(40 + r.float(0.5, 1.5) * (80 + 2200 * gc));
  return `GC pause ${ms} ms (G1 Evacuation Pause), heap ${usedMb}M/${spec.memLimitMb}M`;
}

export function oomMessages(spec: ServiceSpec): [LogLevel, (r: Rng) => string][] {
  return [
    ['ERROR', (r) => `Exception in thread "http-nio-${spec.port}-exec-${r.int(1, 200)}" java.lang.OutOfMemoryError: Java heap space`],
    ['ERROR', () => 'Terminating due to java.lang.OutOfMemoryError: Java heap space'],
  ];
}

const BAD_DEPLOY: Record<string, (r: Rng) => string> = {
  'payment-service': (r) =>
    `NullPointerException at com.shop.payment.PaymentService.authorize(PaymentService.java:142): Cannot invoke "com.shop.payment.model.Card.getBin()" because "card" is null (order o-${r.int(1000000, 9999999)})`,
  'inventory-service': (r) =>
    `panic recovered in POST /reservations: runtime error: invalid memory address or nil pointer dereference (reservation.go:88) sku=SKU-${r.int(10000, 99999)}`,
};

export function badDeployMessage(spec: ServiceSpec, r: Rng): string {
  const special = BAD_DEPLOY[spec.name];
  if (special) return special(r);
  const cls = javaClass(spec);
  const simple = cls.split('.').pop() ?? 'Handler';
  switch (spec.lang) {
    case 'java':
      return `NullPointerException at ${cls}.handle(${simple}.java:${97}): Cannot invoke "java.util.Map.get(Object)" because "this.cache" is null (request ${r.id(12)})`;
    case 'go':
      return `panic recovered in ${spec.ops[0] ?? 'handler'}: runtime error: invalid memory address or nil pointer dereference (handler.go:61) req=${r.id(10)}`;
    case 'python':
      return `Unhandled exception in ${spec.ops[0] ?? 'handler'}: KeyError: 'price_eur' (ranking.py:211) request_id=${r.id(12)}`;
    default:
      return `TypeError: Cannot read properties of undefined (reading 'locale') at renderTemplate (/app/dist/templates.js:88:21) job=${r.id(10)}`;
  }
}

/** a caller's log line for a failed call, by callee and failure */
export function depFailureMessage(
  caller: ServiceSpec,
  dep: EdgeSpec,
  reason: 'timeout' | 'error',
  r: Rng,
  opts: { acquirer: string; timeoutMs: number; configKey?: string; down?: boolean },
): string {
  if (opts.configKey) {
    return `Call to ${dep.to} aborted: read timed out after ${opts.timeoutMs} ms (${opts.configKey}=${opts.timeoutMs})`;
  }
  switch (dep.kind) {
    case 'db':
      return reason === 'timeout'
        ? 'HikariPool-1 - Connection is not available, request timed out after 30000ms'
        : `SQL error on ${dep.op}: ERROR: canceling statement due to statement timeout`;
    case 'cache':
      return opts.down ? 'Connection refused: redis-cache:6379' : `Redis command timed out after ${opts.timeoutMs} ms`;
    case 'external':
      return reason === 'timeout'
        ? `Bank gateway timeout after ${opts.timeoutMs} ms (acquirer=${opts.acquirer})`
        : `Bank gateway returned HTTP ${r.pick([502, 503])} (acquirer=${opts.acquirer})`;
    case 'queue':
      return `Failed to publish to topic ${dep.op.split(' ')[0]}: org.apache.kafka.common.errors.TimeoutException`;
    default:
      return reason === 'timeout'
        ? `Timeout calling ${dep.to} after ${opts.timeoutMs} ms`
        : `Request to ${dep.to} failed: HTTP ${r.pick(['500 Internal Server Error', '503 Service Unavailable', '502 Bad Gateway'])}`;
  }
}
