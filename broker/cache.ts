import { FetchCache } from '../lib/cache/index.js';

/** Something with an expiry, e.g. STS credentials or a Google access token. */
export interface Expiring {
  expiresAt: Date;
}

/**
 * Issued credentials by key, handed out until `refreshBeforeMs` before they expire. Concurrent
 * misses for a key share one fetch, so a burst of commands costs one STS or Google call, not
 * one each.
 */
export function credentialCache<T extends Expiring>(
  /** How long before expiry a credential stops being handed out, in milliseconds. */
  refreshBeforeMs: number,
  now: () => number = Date.now,
): FetchCache<T> {
  return new FetchCache<T>({
    ttlMs: (credential) => credential.expiresAt.getTime() - now() - refreshBeforeMs,
    max: 10_000,
    now,
  });
}
