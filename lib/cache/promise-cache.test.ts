import { describe, expect, it } from 'vitest';
import { PromiseCache } from './promise-cache.js';

describe('PromiseCache', () => {
  it('reuses an answer until it expires, then looks up again', async () => {
    let now = 0;
    let calls = 0;
    const cache = new PromiseCache<number>(1000, () => now);
    const load = async () => ++calls;
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1]);
    now = 999;
    expect(await cache.get('k', load)).toBe(1);
    now = 1000;
    expect(await cache.get('k', load)).toBe(2);
    expect(await cache.get('k', load, { fresh: true })).toBe(3);
  });

  it('does not keep a failed lookup', async () => {
    const cache = new PromiseCache<string>(60_000);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 'up')).toBe('up');
  });

  it("forgets one key, or every key of a user's prefix", async () => {
    const cache = new PromiseCache<string>(60_000);
    for (const key of ['u1/aws/a', 'u1/gcp/b', 'u2/aws/a']) await cache.get(key, async () => 'old');
    cache.deletePrefix('u1/');
    cache.delete('u2/aws/a');
    const fresh = async () => 'new';
    expect(await cache.get('u1/aws/a', fresh)).toBe('new');
    expect(await cache.get('u1/gcp/b', fresh)).toBe('new');
    expect(await cache.get('u2/aws/a', fresh)).toBe('new');
  });
});
