/** Seeded randomness: mulberry32 plus the distributions the simulator needs. Same seed, same numbers, everywhere. */

/** 32-bit string hash (FNV-1a with a murmur-style finaliser), used to derive independent streams. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';

export class Rng {
  private readonly gen: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.gen = mulberry32(seed);
  }

  /** an independent stream for (seed, label parts): e.g. Rng.for(seed, 'logs', minute, service) */
  static for(seed: number, ...parts: (string | number)[]): Rng {
    return new Rng(hashString(`${seed}|${parts.join('|')}`));
  }

  next(): number {
    return this.gen();
  }

  float(lo: number, hi: number): number {
    return lo + (hi - lo) * this.gen();
  }

  /** integer in [lo, hi], both inclusive */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.gen() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.gen() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.gen() * items.length)] as T;
  }

  /** picks by weight; weights need not sum to 1 */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.gen() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return mean + sd * v;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = this.gen() * 2 - 1;
      v = this.gen() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return mean + sd * u * m;
  }

  /** log-normal with the given median and log-space sigma */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** Poisson count; Knuth for small means, a rounded normal for large ones */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda > 40) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.gen();
    } while (p > l);
    return k - 1;
  }

  /** successes out of n trials with probability p (normal approximation for large n) */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const mean = n * p;
    if (n > 60 && mean > 15 && n * (1 - p) > 15) {
      return Math.min(n, Math.max(0, Math.round(this.normal(mean, Math.sqrt(mean * (1 - p))))));
    }
    if (mean < 15 && n > 60) return Math.min(n, this.poisson(mean));
    let k = 0;
    for (let i = 0; i < n; i++) if (this.gen() < p) k++;
    return k;
  }

  hex(len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) s += HEX[Math.floor(this.gen() * 16)];
    return s;
  }

  /** a short alphanumeric id */
  id(len: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < len; i++) s += chars[Math.floor(this.gen() * chars.length)];
    return s;
  }
}
