/**
 * Bounded windows over a stream, shared by the streaming detector's channels: a window kept sorted (quantiles, MAD,
 * ranks), rolling moments, and the tail model that turns a channel's evidence into a probability.
 */

/** A window of numbers kept sorted as well as in arrival order. */
export class SortedWindow {
  private sorted: number[] = [];
  private fifo: number[] = [];
  private head = 0;
  constructor(readonly capacity: number) {}
  get size(): number {
    return this.sorted.length;
  }
  push(x: number): void {
    if (this.size >= this.capacity) this.remove(this.fifo[this.head++]!);
    this.fifo.push(x);
    if (this.head > 4096) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
    this.sorted.splice(lowerBound(this.sorted, x), 0, x);
  }
  private remove(x: number): void {
    const i = lowerBound(this.sorted, x);
    this.sorted.splice(i, 1);
  }
  /** mean of the values above x */
  meanAbove(x: number): number {
    const s = this.sorted;
    let sum = 0;
    let n = 0;
    for (let i = s.length - 1; i >= 0 && s[i]! > x; i--) {
      sum += s[i]!;
      n++;
    }
    return n ? sum / n : x;
  }
  /** the k-th largest value, k = 0 the largest */
  largest(k: number): number {
    return this.sorted[Math.max(0, this.sorted.length - 1 - k)]!;
  }
  /** how many values are < x */
  countBelow(x: number): number {
    return lowerBound(this.sorted, x);
  }
  quantile(q: number): number {
    const s = this.sorted;
    const pos = (s.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  }
  /** median absolute deviation from `center`, by walking outwards from the center through the sorted values */
  mad(center: number): number {
    const s = this.sorted;
    const n = s.length;
    if (n === 0) return 0;
    let r = lowerBound(s, center);
    let l = r - 1;
    const k = Math.floor((n - 1) / 2);
    let d = 0;
    for (let taken = 0; taken <= k; taken++) {
      const dl = l >= 0 ? center - s[l]! : Infinity;
      const dr = r < n ? s[r]! - center : Infinity;
      if (dl <= dr) {
        d = dl;
        l--;
      } else {
        d = dr;
        r++;
      }
    }
    return d;
  }
  /** smallest positive gap between distinct values (the series' resolution), sampled cheaply */
  resolution(): number {
    const s = this.sorted;
    let best = Infinity;
    for (let i = 1; i < s.length; i++) {
      const g = s[i]! - s[i - 1]!;
      if (g > 0 && g < best) best = g;
    }
    return Number.isFinite(best) ? best : 0;
  }
}

function lowerBound(s: number[], x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}


/** Rolling mean and variance over a fixed number of recent values. */
export class RollingMoments {
  private buf: Float64Array;
  private i = 0;
  private n = 0;
  private sum = 0;
  private sum2 = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  push(x: number): void {
    if (this.n === this.buf.length) {
      const old = this.buf[this.i]!;
      this.sum -= old;
      this.sum2 -= old * old;
    } else this.n++;
    this.buf[this.i] = x;
    this.i = (this.i + 1) % this.buf.length;
    this.sum += x;
    this.sum2 += x * x;
  }
  get count(): number {
    return this.n;
  }
  get mean(): number {
    return this.n ? this.sum / this.n : 0;
  }
  get std(): number {
    if (this.n < 2) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.sum2 / this.n - m * m));
  }
}


/**
 * Tail probability of a value among the recent history of its kind: the empirical share of history at or above it;
 * above the history's upper quantile, an exponential tail fitted to the excesses over it (peaks over threshold).
 */
export class TailModel {
  private readonly h: SortedWindow;
  constructor(
    size: number,
    private readonly tailCount: number,
  ) {
    this.h = new SortedWindow(size);
  }
  push(x: number): void {
    this.h.push(x);
  }
  tail(x: number): number {
    const h = this.h;
    if (h.size <= this.tailCount) return 1;
    const u = h.largest(this.tailCount);
    if (x <= u) return (h.size - h.countBelow(x) + 1) / (h.size + 1);
    const excess = Math.max(h.meanAbove(u) - u, 1e-6);
    return (this.tailCount / (h.size + 1)) * Math.exp(-(x - u) / excess);
  }
}

