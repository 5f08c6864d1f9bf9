// A first-in first-out queue with O(1) push and shift (Array#shift is O(n): bursts of thousands
// of transmits or events must not go quadratic). Used by the engines and the LNS/LAC queues.
// Memory (issue 10): an engine holds several queues per session that are empty almost all the
// time, so a drained queue keeps no backing store: the array is made on the first push and
// dropped when the last item is shifted (an idle queue is one object with two fields).

/** An amortized O(1) FIFO. */
export class Fifo<T> {
  /** The items from `head` on; undefined while empty. */
  private items: (T | undefined)[] | undefined;
  private head = 0;

  /** Appends `item`. */
  push(item: T): void {
    if (this.items === undefined) this.items = [item];
    else this.items.push(item);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    const items = this.items;
    if (items === undefined) return undefined;
    const item = items[this.head];
    items[this.head++] = undefined;
    if (this.head >= items.length) {
      this.items = undefined;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The oldest item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.items?.[this.head];
  }

  /** Items queued. */
  get length(): number {
    return this.items === undefined ? 0 : this.items.length - this.head;
  }

  /** Drops everything. */
  clear(): void {
    this.items = undefined;
    this.head = 0;
  }
}
