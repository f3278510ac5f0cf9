import { describe, expect, it } from 'vitest';
import { ProviderAccountsCache } from './provider-accounts.js';
import type { ProviderAccount, ProviderAccounts } from './provider-accounts.js';

function stubProvider(answers: Array<ProviderAccount[] | Error>) {
  const calls: Array<{ userId: string; apps: readonly string[]; timeoutMs?: number }> = [];
  const pending: Array<() => void> = [];
  let hold = false;
  const provider: ProviderAccounts = {
    name: 'stub',
    configured: true,
    missingConfiguration: () => 'set STUB_KEY',
    listAccounts: async (userId, apps, options) => {
      calls.push({ userId, apps, timeoutMs: options?.timeoutMs });
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      const answer = answers.shift() ?? [];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    connectLink: async () => ({ url: 'https://stub.test/connect', expiresAt: undefined }),
    deleteAccount: async () => undefined,
  };
  return {
    provider,
    calls,
    hold: () => (hold = true),
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

const account = (id: string): ProviderAccount => ({
  id,
  app: 'gmail',
  state: 'connected',
  label: null,
  createdAt: null,
  updatedAt: null,
  error: null,
});

describe('ProviderAccountsCache', () => {
  it('reuses a read until the TTL passes, per user, and re-reads when asked fresh', async () => {
    let now = 1_000;
    const cache = new ProviderAccountsCache({ ttlMs: 30_000, timeoutMs: 5_000, now: () => now });
    const stub = stubProvider([[account('a')], [account('b')], [account('c')], [account('d')]]);
    expect(await cache.get(stub.provider, 'u1', ['gmail'])).toEqual([account('a')]);
    now += 29_000;
    expect(await cache.get(stub.provider, 'u1', ['gmail'])).toEqual([account('a')]);
    expect(await cache.get(stub.provider, 'u2', ['gmail'])).toEqual([account('b')]);
    now += 2_000;
    expect(await cache.get(stub.provider, 'u1', ['gmail'])).toEqual([account('c')]);
    expect(await cache.get(stub.provider, 'u1', ['gmail'], { fresh: true })).toEqual([
      account('d'),
    ]);
    expect(stub.calls.map((c) => c.userId)).toEqual(['u1', 'u2', 'u1', 'u1']);
    expect(stub.calls[0]).toMatchObject({ apps: ['gmail'], timeoutMs: 5_000 });
  });

  it('shares one request between concurrent reads', async () => {
    const cache = new ProviderAccountsCache({ ttlMs: 30_000, timeoutMs: 5_000 });
    const stub = stubProvider([[account('a')]]);
    stub.hold();
    const reads = Promise.all([1, 2, 3].map(() => cache.get(stub.provider, 'u', ['gmail'])));
    await new Promise((r) => setImmediate(r));
    stub.release();
    expect(await reads).toEqual([[account('a')], [account('a')], [account('a')]]);
    expect(stub.calls).toHaveLength(1);
  });

  it('keeps no failure, and forgets a user on invalidate', async () => {
    const cache = new ProviderAccountsCache({ ttlMs: 30_000, timeoutMs: 5_000 });
    const stub = stubProvider([new Error('down'), [account('a')], [account('b')]]);
    await expect(cache.get(stub.provider, 'u', ['gmail'])).rejects.toThrow('down');
    expect(await cache.get(stub.provider, 'u', ['gmail'])).toEqual([account('a')]);
    cache.invalidate('stub', 'u');
    expect(await cache.get(stub.provider, 'u', ['gmail'])).toEqual([account('b')]);
    expect(stub.calls).toHaveLength(3);
  });
});
