// What grantry/resource remembers of a verified token: bounded (the oldest entry goes first, so a
// flood of distinct tokens cannot grow the process), and each entry with its own end, past which
// it is gone. The clock is the caller's, so that tests move it instead of waiting.

export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly maxEntries: number) {}

  /** The value, while `nowSeconds` is before its end. */
  get(key: string, nowSeconds: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > nowSeconds) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Remembered until `until` (seconds since the epoch); an end already past remembers nothing. */
  set(key: string, value: V, until: number, nowSeconds: number): void {
    if (until <= nowSeconds || this.maxEntries < 1) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
