import { describe, expect, it } from 'vitest';
import { FetchCache } from './fetch-cache.js';

describe('FetchCache', () => {
  it('reuses a value until it expires, then loads again; concurrent misses share one load', async () => {
    let now = 0;
    let calls = 0;
    const cache = new FetchCache<number>({ ttlMs: 1000, now: () => now });
    const load = async () => ++calls;
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1]);
    now = 999;
    expect(await cache.get('k', load)).toBe(1);
    now = 1000;
    expect(await cache.get('k', load)).toBe(2);
    expect(await cache.get('k', load, { fresh: true })).toBe(3);
  });

  it('does not keep a failed load', async () => {
    const cache = new FetchCache<string>({ ttlMs: 60_000 });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 'up')).toBe('up');
  });

  it("forgets one key, or every key of a user's prefix", async () => {
    const cache = new FetchCache<string>({ ttlMs: 60_000 });
    for (const key of ['u1/aws/a', 'u1/gcp/b', 'u2/aws/a']) await cache.get(key, async () => 'old');
    cache.deletePrefix('u1/');
    cache.delete('u2/aws/a');
    const fresh = async () => 'new';
    expect(await cache.get('u1/aws/a', fresh)).toBe('new');
    expect(await cache.get('u1/gcp/b', fresh)).toBe('new');
    expect(await cache.get('u2/aws/a', fresh)).toBe('new');
  });

  it('a key deleted while it loads answers its callers but keeps nothing', async () => {
    const cache = new FetchCache<string>({ ttlMs: 60_000 });
    let release!: (v: string) => void;
    const slow = cache.get('u1/x', () => new Promise<string>((r) => (release = r)));
    cache.deletePrefix('u1/');
    release('stale');
    expect(await slow).toBe('stale');
    expect(cache.has('u1/x')).toBe(false);
    expect(await cache.get('u1/x', async () => 'current')).toBe('current');
  });

  it('a TTL from the value: handed out until its deadline, then refreshed', async () => {
    let now = 0;
    const cache = new FetchCache<{ expiresAt: number }>({
      ttlMs: (v) => v.expiresAt - now - 100,
      now: () => now,
    });
    const load = async () => ({ expiresAt: now + 1000 });
    expect((await cache.fetch('k', load)).source).toBe('fetched');
    now = 899;
    expect(await cache.fetch('k', load)).toEqual({ value: { expiresAt: 1000 }, source: 'cache' });
    now = 900;
    expect(await cache.fetch('k', load)).toEqual({
      value: { expiresAt: 1900 },
      source: 'refreshed',
    });
    // A value already due is not kept (lru-cache would read its TTL of 0 as "no TTL").
    now = 5000;
    const due = async () => ({ expiresAt: now });
    await cache.fetch('late', due);
    expect(cache.has('late')).toBe(false);
    expect((await cache.fetch('late', due)).source).toBe('fetched');
  });

  it('a TTL of 0 keeps nothing; Infinity keeps a value until it is deleted', async () => {
    let now = 0;
    let calls = 0;
    const load = async () => ++calls;
    const none = new FetchCache<number>({ ttlMs: 0, now: () => now });
    expect(await Promise.all([none.get('k', load), none.get('k', load)])).toEqual([1, 1]);
    expect(await none.get('k', load)).toBe(2);
    const forever = new FetchCache<number>({ ttlMs: Infinity, now: () => now });
    expect(await forever.get('k', load)).toBe(3);
    now = 1e12;
    expect(await forever.get('k', load)).toBe(3);
  });
});
