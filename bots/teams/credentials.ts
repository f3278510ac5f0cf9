import { ServiceClientCredentialsFactory } from 'botframework-connector';
import type { ServiceClientCredentials } from 'botframework-connector';
import { z } from 'zod';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

export interface ClientSecretOptions {
  appId: string;
  appPassword: string;
  /** The Entra ID v2 token endpoint (`…/oauth2/v2.0/token`). */
  tokenUrl: string;
  fetch?: typeof fetch;
}

/**
 * The bot's outgoing token (OAuth 2 client credentials against Entra ID's token endpoint),
 * in place of botbuilder's MSAL-based factory: MSAL insists on an https authority it has
 * discovered, so it cannot be pointed at a configurable endpoint, which tests and sovereign
 * clouds need. The wire format is the same: a form POST of client id, secret and
 * `<audience>/.default`, answered with an access token and its lifetime. Tokens are cached per
 * audience until five minutes before they expire, and concurrent callers share one request.
 */
export class ClientSecretCredentialsFactory extends ServiceClientCredentialsFactory {
  private readonly cache = new Map<string, Promise<{ token: string; renewAt: number }>>();

  constructor(private readonly opts: ClientSecretOptions) {
    super();
  }

  async isValidAppId(appId: string): Promise<boolean> {
    return appId === this.opts.appId;
  }

  async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }

  async createCredentials(
    appId: string,
    audience: string | undefined,
  ): Promise<ServiceClientCredentials> {
    if (appId !== this.opts.appId) throw new Error(`Unknown Microsoft App ID ${appId}.`);
    const scope = `${(audience || 'https://api.botframework.com').replace(/\/$/, '')}/.default`;
    return {
      signRequest: async (request) => {
        request.headers.set('authorization', `Bearer ${await this.token(scope)}`);
        return request;
      },
    };
  }

  private async token(scope: string): Promise<string> {
    const cached = this.cache.get(scope);
    if (cached) {
      const value = await cached.catch(() => null);
      if (value && value.renewAt > Date.now()) return value.token;
      if (this.cache.get(scope) !== cached) return this.token(scope);
    }
    const request = this.request(scope);
    this.cache.set(scope, request);
    request.catch(() => {
      if (this.cache.get(scope) === request) this.cache.delete(scope);
    });
    return (await request).token;
  }

  private async request(scope: string): Promise<{ token: string; renewAt: number }> {
    const res = await (this.opts.fetch ?? fetch)(this.opts.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.opts.appId,
        client_secret: this.opts.appPassword,
        scope,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const why = (body as { error_description?: string; error?: string } | null) ?? {};
      throw new Error(
        `The Microsoft token endpoint refused the bot's credentials (${res.status} ${why.error ?? ''}): check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID.`,
      );
    }
    const parsed = tokenResponse.parse(body);
    const lifetimeMs = parsed.expires_in * 1000;
    return {
      token: parsed.access_token,
      renewAt: Date.now() + Math.max(lifetimeMs - 5 * 60_000, lifetimeMs / 2),
    };
  }
}
