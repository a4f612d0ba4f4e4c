/**
 * Shape novelty by nearest neighbours (after the idea of KNN conformal anomaly detection), on a coarser time scale:
 *
 * - The stream is cut into blocks of `block` points; each block becomes its mean.
 * - The last `length` block means form a vector (with the defaults, the shape of the last 64 points).
 * - Its nonconformity is the mean Euclidean distance to its `k` nearest neighbours among a bounded reference set:
 *   the most recent `references` earlier vectors that do not overlap it. A shape never seen before is far from every
 *   reference; a familiar one is close to some, wherever in the recent past it was seen.
 *
 * The caller ranks the nonconformity among its own history (a conformal p-value). A value comes out once per block,
 * so neighbouring outputs do not share most of their points and one excursion yields few, distinct records.
 *
 * Work per block is O(references · length); memory O(references · length).
 */

export interface BlockNeighboursOptions {
  /** points per block (default 4) */
  block?: number;
  /** block means per vector (default 16) */
  length?: number;
  /** neighbours averaged (default 3) */
  k?: number;
  /** reference vectors kept (default 400) */
  references?: number;
}

export class BlockNeighbours {
  readonly block: number;
  private readonly length: number;
  private readonly k: number;
  private readonly capacity: number;
  private blockSum = 0;
  private blockCount = 0;
  /** recent block means: the current vector and the one a full vector back */
  private readonly means: number[] = [];
  /** reference vectors, a ring of `capacity` × `length` */
  private readonly refs: Float64Array;
  private refCount = 0;
  private refNext = 0;

  constructor(o: BlockNeighboursOptions = {}) {
    this.block = Math.max(1, o.block ?? 4);
    this.length = Math.max(1, o.length ?? 16);
    this.k = Math.max(1, o.k ?? 3);
    this.capacity = Math.max(this.k, o.references ?? 400);
    this.refs = new Float64Array(this.capacity * this.length);
  }

  /**
   * Feeds one point. At the end of each block, returns the nonconformity of the newest vector (once there are at
   * least 20 references) and then learns it; otherwise undefined.
   */
  update(x: number): number | undefined {
    this.blockSum += x;
    if (++this.blockCount < this.block) return undefined;
    const mean = this.blockSum / this.block;
    this.blockSum = 0;
    this.blockCount = 0;
    const L = this.length;
    const m = this.means;
    m.push(mean);
    if (m.length > 2 * L) {
      // the vector that ends a full vector before the newest one starts becomes a reference
      const off = this.refNext * L;
      for (let j = 0; j < L; j++) this.refs[off + j] = m[j]!;
      this.refNext = (this.refNext + 1) % this.capacity;
      this.refCount = Math.min(this.capacity, this.refCount + 1);
      m.shift();
    }
    if (this.refCount < Math.max(this.k, 20)) return undefined;
    return this.nearest(m.length - L);
  }

  /** Mean distance from the vector starting at means[start] to its k nearest references. */
  private nearest(start: number): number {
    const L = this.length;
    const m = this.means;
    const best: number[] = new Array<number>(this.k).fill(Infinity);
    for (let i = 0; i < this.refCount; i++) {
      const off = i * L;
      const worst = best[this.k - 1]!;
      let d = 0;
      for (let j = 0; j < L && d < worst; j++) {
        const e = m[start + j]! - this.refs[off + j]!;
        d += e * e;
      }
      if (d >= worst) continue;
      let p = this.k - 1;
      while (p > 0 && best[p - 1]! > d) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = d;
    }
    let sum = 0;
    for (const d of best) sum += Math.sqrt(d);
    return sum / this.k;
  }
}
