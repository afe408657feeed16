/**
 * A Map that holds at most `maxEntries`: adding to a full map first drops the oldest entry.
 * Insertion order is the eviction order, which for caches of short-lived tokens is close to
 * expiry order and costs nothing per read.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly maxEntries: number;
  /** Called for each entry dropped to make room. */
  private readonly onEvict: ((key: K, value: V) => void) | undefined;

  constructor(maxEntries: number, onEvict?: (key: K, value: V) => void) {
    super();
    this.maxEntries = maxEntries;
    this.onEvict = onEvict;
  }

  override set(key: K, value: V): this {
    if (!this.has(key)) {
      while (this.size >= this.maxEntries) {
        const oldest = this.entries().next();
        if (oldest.done) break;
        super.delete(oldest.value[0]);
        this.onEvict?.(oldest.value[0], oldest.value[1]);
      }
    }
    return super.set(key, value);
  }

  /** Drops every entry `expired` says is over. */
  sweep(expired: (value: V, key: K) => boolean): void {
    for (const [key, value] of this) if (expired(value, key)) this.delete(key);
  }
}
