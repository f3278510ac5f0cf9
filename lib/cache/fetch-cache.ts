import { LRUCache } from 'lru-cache';

export interface FetchCacheOptions<V> {
  /**
   * How long a value is handed out after it loaded, in milliseconds: a number, or computed from
   * the value (a credential's expiry less a margin). Infinity: until deleted or pushed out by
   * newer keys; 1 or less: not kept (only the callers already waiting share it).
   */
  ttlMs: number | ((value: V) => number);
  /** Keys kept; past this the least recently used go. Default 1,000. */
  max?: number;
  /** The clock, in milliseconds; tests move it. Default Date.now. */
  now?: () => number;
}

export interface Fetched<V> {
  value: V;
  /** `cache`: reused; `fetched`: the key's first load; `refreshed`: replaced an expired value. */
  source: 'cache' | 'fetched' | 'refreshed';
}

interface Entry<V> {
  value: V;
  source: 'fetched' | 'refreshed';
  keep: boolean;
}

/**
 * The one in-process cache (lru-cache underneath): a value per key until its TTL runs out.
 * Concurrent gets of a missing key share one load; a failed load is not kept, so the next get
 * tries again; an expired value is never handed out. A key deleted while its load runs still
 * answers the callers waiting on it, but the answer is not kept.
 */
export class FetchCache<V> {
  private readonly lru: LRUCache<string, Entry<V>, () => Promise<V>>;
  /** Loads running now, by key: lru-cache's key listing leaves them out, deletion must not. */
  private readonly loading = new Map<string, number>();

  constructor(options: FetchCacheOptions<V>) {
    const { ttlMs } = options;
    this.lru = new LRUCache<string, Entry<V>, () => Promise<V>>({
      max: options.max ?? 1_000,
      ttlResolution: 0,
      // +1: lru-cache takes an entry stored at time 0 for one without a TTL (a test clock's 0).
      ...(options.now ? { perf: { now: () => options.now!() + 1 } } : {}),
      // A deletion during a load must not fail the callers waiting for it.
      ignoreFetchAbort: true,
      fetchMethod: async (key, stale, { options: setOptions, context: load }) => {
        this.loading.set(key, (this.loading.get(key) ?? 0) + 1);
        try {
          const value = await load();
          const ttl = Math.floor(typeof ttlMs === 'number' ? ttlMs : ttlMs(value));
          // lru-cache hands a value out while its age is at most `ttl`, and reads 0 as none.
          setOptions.ttl = ttl === Infinity ? 0 : Math.max(1, ttl - 1);
          return { value, source: stale === undefined ? 'fetched' : 'refreshed', keep: ttl > 1 };
        } finally {
          const left = this.loading.get(key)! - 1;
          if (left) this.loading.set(key, left);
          else this.loading.delete(key);
        }
      },
    });
  }

  /** The value for `key`, loading it with `load` when missing or expired; `fresh` skips the cached one. */
  async get(key: string, load: () => Promise<V>, options: { fresh?: boolean } = {}): Promise<V> {
    return (await this.fetch(key, load, options)).value;
  }

  /** Like `get`, and says whether the value was reused, loaded or refreshed. */
  async fetch(
    key: string,
    load: () => Promise<V>,
    options: { fresh?: boolean } = {},
  ): Promise<Fetched<V>> {
    if (options.fresh) this.lru.delete(key);
    const status: LRUCache.Status<string, Entry<V>> = {};
    const entry = (await this.lru.fetch(key, { context: load, status }))!;
    if (!entry.keep && this.lru.peek(key) === entry) this.lru.delete(key);
    return { value: entry.value, source: status.fetch === 'hit' ? 'cache' : entry.source };
  }

  /** True when `key` has a value that has not expired (a load in progress does not count). */
  has(key: string): boolean {
    return this.lru.has(key);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Forgets every key that starts with `prefix` (a user's, after a change). */
  deletePrefix(prefix: string): void {
    this.deleteWhere((key) => key.startsWith(prefix));
  }

  /** Forgets every key `test` accepts, including those whose load runs now. */
  deleteWhere(test: (key: string) => boolean): void {
    for (const key of [...this.lru.keys(), ...this.loading.keys()]) {
      if (test(key)) this.lru.delete(key);
    }
  }
}
