import { z } from 'zod';
import { FetchCache } from '../../lib/cache/index.js';
import { requestJson } from './http-json.js';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  /** Seconds; Pipedream documents one hour. */
  expires_in: z.number().positive().optional(),
});

export interface ClientCredentials {
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** Refresh this long before the token expires, in milliseconds. */
  refreshMarginMs: number;
  now?: () => number;
}

/**
 * Pipedream's OAuth client-credentials access token, fetched once and reused until shortly before
 * it expires. Concurrent callers share one token request.
 */
export class PipedreamTokenCache {
  private readonly cache: FetchCache<{ value: string; expiresAt: number }>;
  private readonly now: () => number;

  constructor(private readonly creds: ClientCredentials) {
    const now = (this.now = creds.now ?? Date.now);
    this.cache = new FetchCache({
      ttlMs: (token) => token.expiresAt - now() - creds.refreshMarginMs,
      max: 1,
      now,
    });
  }

  async get(): Promise<string> {
    return (await this.cache.get(TOKEN, () => this.fetchToken())).value;
  }

  /** Forgets the token, e.g. after the MCP server refused it. */
  invalidate(): void {
    this.cache.delete(TOKEN);
  }

  private async fetchToken(): Promise<{ value: string; expiresAt: number }> {
    const body = await requestJson(`${this.creds.apiUrl}/v1/oauth/token`, tokenResponse, {
      body: {
        grant_type: 'client_credentials',
        client_id: this.creds.clientId,
        client_secret: this.creds.clientSecret,
      },
      service: 'Pipedream',
      provider: 'pipedream',
      authHint:
        'Check PIPEDREAM_CLIENT_ID and PIPEDREAM_CLIENT_SECRET (an OAuth client of your workspace).',
    });
    const lifetimeMs = (body.expires_in ?? 3600) * 1000;
    return { value: body.access_token, expiresAt: this.now() + lifetimeMs };
  }
}

const TOKEN = 'token';
