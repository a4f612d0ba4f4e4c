/** Traffic shape: how many calls each component gets per request entering the gateway. */
import { ROOT_FIRST, SERVICES, edgesFrom } from './topology.js';

export const BASE_HIT = 0.935;

/** expected calls per gateway request, given the cache's hit rate and the callers' fallback share */
export function visitsPerRequest(hitRate: number, redisErr: number, fallback: number): Map<string, number> {
  const v = new Map<string, number>(SERVICES.map((s) => [s.name, 0]));
  v.set('api-gateway', 1);
  for (const name of ROOT_FIRST) {
    const n = v.get(name) ?? 0;
    for (const e of edgesFrom(name)) {
      const calls = n * e.p;
      v.set(e.to, (v.get(e.to) ?? 0) + calls);
      if (e.kind === 'cache') {
        const fb = redisErr * fallback + (1 - redisErr) * (1 - hitRate);
        v.set('postgres-main', (v.get('postgres-main') ?? 0) + calls * fb);
      }
    }
  }
  v.set('notification-service', v.get('kafka') ?? 0);
  return v;
}

const NOMINAL = visitsPerRequest(BASE_HIT, 0, 1);
export const nominalVisits = (name: string): number => NOMINAL.get(name) ?? 0;

