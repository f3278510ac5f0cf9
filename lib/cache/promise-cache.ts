/**
 * Reuses the answer of a slow lookup (a database row, a provider's account list) for a short
 * time. Concurrent gets of a key share one lookup; a failed lookup is not kept, so the next get
 * tries again at once. Expired entries are swept once the map grows past a thousand keys.
 */
export class PromiseCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; until: number }>();

  constructor(
    /** How long an answer is reused, in milliseconds. */
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached answer for `key`, or `load()`'s; `fresh` skips (and replaces) the cached one. */
  get(key: string, load: () => Promise<T>, options: { fresh?: boolean } = {}): Promise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && !options.fresh && hit.until > now) return hit.value;
    if (this.entries.size >= SWEEP_AT) this.sweep(now);
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key that starts with `prefix` (a user's, after a change). */
  deletePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}

const SWEEP_AT = 1_000;
