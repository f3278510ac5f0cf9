import { FetchCache } from '../../lib/cache/index.js';

/**
 * How the connections layer sees a service that holds users' accounts for mcp-type integrations
 * (Pipedream Connect, Composio). The MCP providers implement it; the connections layer receives
 * them at start-up and never imports the activities layer.
 */

/** `pending`: the user started connecting at the provider and has not finished. */
export type ProviderAccountState = 'connected' | 'needs_reconnect' | 'pending';

/** One account of one user at the provider. Holds no credential. */
export interface ProviderAccount {
  /** The provider's id for the account (Pipedream `apn_...`, Composio `ca_...`). */
  id: string;
  /** The provider's app slug (Pipedream app `name_slug`, Composio toolkit slug). */
  app: string;
  state: ProviderAccountState;
  /** What the user recognises the account by, when the provider says. */
  label: string | null;
  /** ISO timestamps, when the provider says. */
  createdAt: string | null;
  updatedAt: string | null;
  /** The provider's reason when the account does not work. */
  error: string | null;
}

export interface ProviderAccounts {
  /** The catalog's `mcp.provider`, e.g. `pipedream`. */
  readonly name: string;
  /** False when Dynamiq's credentials for the provider are missing. */
  readonly configured: boolean;
  /** What to set when `configured` is false, naming the environment variables. */
  missingConfiguration(): string;
  /** The user's accounts for these apps: one request (pages followed), not one per app. */
  listAccounts(
    userId: string,
    apps: readonly string[],
    options?: { timeoutMs?: number },
  ): Promise<ProviderAccount[]>;
  /** A hosted page where the user connects their account for the app. */
  connectLink(
    target: { userId: string; app: string; slug: string },
    options?: { successRedirectUrl?: string; errorRedirectUrl?: string },
  ): Promise<{ url: string; expiresAt: string | undefined }>;
  /** Deletes the account at the provider; an account already gone is not an error. */
  deleteAccount(accountId: string): Promise<void>;
}

export interface AccountsCacheOptions {
  /** How long a user's accounts are reused, in ms. */
  ttlMs: number;
  /** How long a status read may take before the list answers without it, in ms. */
  timeoutMs: number;
  now?: () => number;
}

/**
 * A user's accounts per provider, kept in process for a short time so listing integrations does
 * not wait on the provider every time. Concurrent reads share one request; a failed read is not
 * kept, so the next one tries again.
 */
export class ProviderAccountsCache {
  private readonly cache: FetchCache<ProviderAccount[]>;

  constructor(private readonly options: AccountsCacheOptions) {
    this.cache = new FetchCache({ ttlMs: options.ttlMs, now: options.now });
  }

  get(
    provider: ProviderAccounts,
    userId: string,
    apps: readonly string[],
    options: { fresh?: boolean } = {},
  ): Promise<ProviderAccount[]> {
    return this.cache.get(
      keyOf(provider.name, userId),
      () => provider.listAccounts(userId, apps, { timeoutMs: this.options.timeoutMs }),
      options,
    );
  }

  /** Forgets a user's accounts at one provider, after a connect or disconnect. */
  invalidate(provider: string, userId: string): void {
    this.cache.delete(keyOf(provider, userId));
  }
}

const keyOf = (provider: string, userId: string) => `${provider}\u0000${userId}`;
