// A first-in first-out queue with O(1) push and shift (Array#shift is O(n): bursts of thousands
// of transmits or events must not go quadratic). Used by the engines and the LNS/LAC queues.

/** An amortized O(1) FIFO. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Appends `item`. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The oldest item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Items queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Drops everything. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
