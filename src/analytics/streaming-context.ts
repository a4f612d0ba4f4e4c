/**
 * Context novelty: a streaming detector of unfamiliar sequences, after the idea of the Contextual Anomaly Detector
 * (contexts made of facts; an anomaly is a fact that no familiar context predicted). Written from that idea:
 *
 * - Each point becomes a fact: its level, the value quantised into a few bins over the running range.
 * - For every order k = 1..maxOrder, the k facts before the point form a context. A context is familiar once it has
 *   been seen `minSupport` times; a familiar context that has never been followed by the current fact failed to
 *   predict it.
 * - The novelty of the point is the share of its familiar contexts that failed, weighted towards longer contexts
 *   (a long familiar context that fails is stronger evidence than a short one). A point with no familiar context
 *   scores 0: the model has nothing to say yet.
 *
 * Memory is bounded: the table of contexts is cleared down to its most recent half when it outgrows `maxEntries`.
 */

export interface ContextNoveltyOptions {
  /** levels the value is quantised into (default 8) */
  bins?: number;
  /** longest context, points (default 6) */
  maxOrder?: number;
  /** sightings that make a context familiar (default 2) */
  minSupport?: number;
  /** table size that triggers forgetting (default 200000) */
  maxEntries?: number;
}

export class ContextNovelty {
  private readonly bins: number;
  private readonly maxOrder: number;
  private readonly minSupport: number;
  private readonly maxEntries: number;
  private min = Infinity;
  private max = -Infinity;
  private readonly facts: number[] = [];
  /** context key → times seen; "context|fact" key → times seen */
  private contexts = new Map<string, number>();
  private transitions = new Map<string, number>();

  constructor(o: ContextNoveltyOptions = {}) {
    this.bins = o.bins ?? 8;
    this.maxOrder = o.maxOrder ?? 6;
    this.minSupport = o.minSupport ?? 2;
    this.maxEntries = o.maxEntries ?? 200_000;
  }

  /** The level of a value over the running range (the range grows with the series). */
  private level(x: number): number {
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const span = this.max - this.min;
    return span > 0 ? Math.min(this.bins - 1, Math.floor(((x - this.min) / span) * this.bins)) : 0;
  }

  /** Novelty of the point in [0,1], then learns it. */
  update(x: number): number {
    const fact = this.level(x);
    const f = this.facts;
    let failed = 0;
    let familiar = 0;
    let key = '';
    for (let k = 1; k <= Math.min(this.maxOrder, f.length); k++) {
      key = key ? `${f[f.length - k]},${key}` : `${f[f.length - k]}`;
      const seen = this.contexts.get(key) ?? 0;
      const tkey = `${key}|${fact}`;
      if (seen >= this.minSupport) {
        familiar += k;
        if (!this.transitions.has(tkey)) failed += k;
      }
      this.contexts.set(key, seen + 1);
      this.transitions.set(tkey, (this.transitions.get(tkey) ?? 0) + 1);
    }
    f.push(fact);
    if (f.length > this.maxOrder) f.shift();
    if (this.contexts.size + this.transitions.size > this.maxEntries) this.forget();
    return familiar ? failed / familiar : 0;
  }

  /** Halves every count and drops what falls to zero: rare, old contexts go first. */
  private forget(): void {
    for (const m of [this.contexts, this.transitions]) {
      for (const [k, v] of m) {
        const h = v >> 1;
        if (h) m.set(k, h);
        else m.delete(k);
      }
    }
  }
}

/**
 * A second-order Markov model of the series quantised into bins over its running range: the surprise of a point is
 * −log P(its bin | the two bins before), so a familiar level reached in an unfamiliar way (a broken rhythm, a new
 * pattern) is surprising even when no single value is extreme.
 */
export class PatternModel {
  private min = Infinity;
  private max = -Infinity;
  private b1 = -1;
  private b2 = -1;
  private readonly counts = new Map<number, Float64Array>();
  constructor(private readonly bins: number) {}
  update(x: number): number {
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const span = this.max - this.min;
    const b = span > 0 ? Math.min(this.bins - 1, Math.floor(((x - this.min) / span) * this.bins)) : 0;
    let surprise = 0;
    if (this.b2 >= 0) {
      const key = this.b2 * this.bins + this.b1;
      let c = this.counts.get(key);
      if (!c) {
        c = new Float64Array(this.bins + 1);
        this.counts.set(key, c);
      }
      const alpha = 0.1;
      surprise = -Math.log((c[b]! + alpha) / (c[this.bins]! + alpha * this.bins));
      c[b]!++;
      c[this.bins]!++;
    }
    this.b2 = this.b1;
    this.b1 = b;
    return surprise;
  }
}

