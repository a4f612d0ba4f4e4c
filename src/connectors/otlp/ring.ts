/**
 * A fixed-capacity buffer in arrival order: pushing onto a full one overwrites the oldest entry, and entries received
 * before a cut-off can be dropped from the old end. Memory stays at `capacity` slots however much arrives.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private readonly receivedAt: Float64Array;
  private head = 0;
  private size = 0;
  /** entries overwritten at capacity or expired by age, since creation */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`a ring needs a positive integer capacity, not ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
    this.receivedAt = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T, receivedAtMs: number): void {
    const tail = (this.head + this.size) % this.capacity;
    this.items[tail] = item;
    this.receivedAt[tail] = receivedAtMs;
    if (this.size < this.capacity) this.size++;
    else {
      this.head = (this.head + 1) % this.capacity;
      this.dropped++;
    }
  }

  /** drops, oldest first, what was received before `cutoffMs` (arrival order makes that a prefix) */
  expire(cutoffMs: number): void {
    while (this.size > 0 && (this.receivedAt[this.head] ?? 0) < cutoffMs) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.dropped++;
    }
  }

  /** oldest first */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) % this.capacity] as T;
  }
}
