/** Something with an expiry, e.g. STS credentials or a Google access token. */
export interface Expiring {
  expiresAt: Date;
}

export interface CacheResult<T> {
  value: T;
  /** `cache`: reused; `fetched`: first fetch for the key; `refreshed`: replaced a stale one. */
  source: 'cache' | 'fetched' | 'refreshed';
}

const SWEEP_EVERY = 256;

/**
 * Keeps one credential per key until `refreshBeforeMs` before it expires. Concurrent misses for
 * a key share one fetch, so a burst of commands costs one STS or Google call, not one each.
 */
export class CredentialCache<T extends Expiring> {
  private readonly entries = new Map<string, T>();
  private readonly inflight = new Map<string, Promise<CacheResult<T>>>();
  private inserts = 0;

  constructor(
    /** How long before expiry a credential stops being handed out, in milliseconds. */
    private readonly refreshBeforeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, fetch: () => Promise<T>): Promise<CacheResult<T>> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt.getTime() - this.now() > this.refreshBeforeMs) {
      return { value: hit, source: 'cache' };
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const source = hit ? 'refreshed' : 'fetched';
    const run = fetch()
      .then((value) => {
        if (++this.inserts % SWEEP_EVERY === 0) this.sweep();
        this.entries.set(key, value);
        return { value, source } as const;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, run);
    return run;
  }

  /** Drops expired entries, so keys that are never asked for again (ended conversations) go. */
  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt.getTime() <= now) this.entries.delete(key);
    }
  }

  /** Forgets every entry whose key starts with `prefix`, e.g. a deleted credential's. */
  evict(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
