/** A bounded ring of write events, in resourceVersion order, for watch resume. */

export interface Versioned {
  readonly rv: number;
}

export class History<T extends Versioned> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #count = 0;
  /** The highest resourceVersion dropped from the ring (0 while nothing was dropped). */
  #compacted = 0;

  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(Math.max(1, capacity));
  }

  push(item: T): void {
    const cap = this.#items.length;
    if (this.#count === cap) {
      this.#compacted = this.#items[this.#start]?.rv ?? this.#compacted;
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % cap;
      return;
    }
    this.#items[(this.#start + this.#count) % cap] = item;
    this.#count++;
  }

  #at(i: number): T {
    return this.#items[(this.#start + i) % this.#items.length] as T;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestResumable(): number {
    return this.#compacted;
  }

  /** Items with rv > `rv`, or undefined when some of them were already dropped. */
  since(rv: number): T[] | undefined {
    if (rv < this.#compacted) return undefined;
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const out: T[] = [];
    for (let i = lo; i < this.#count; i++) out.push(this.#at(i));
    return out;
  }
}
