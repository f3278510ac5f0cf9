import { GoogleAuth, Impersonated, JWT } from 'google-auth-library';
import type { AuthClient } from 'google-auth-library';
import type { SandboxTokenClaims } from '../lib/sandbox-access/index.js';
import type { FetchCache, Fetched } from '../lib/cache/index.js';
import { credentialCache } from './cache.js';
import { BrokerUpstreamError } from './errors.js';
import type { ServiceAccountKey } from './schemas.js';
import type { LoadedGcpCredential } from './store.js';

/** Google's OAuth token endpoint, built into google-auth-library's service-account client. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** What a sandbox receives: a bearer token for gcloud's access-token file. */
export interface GcpAccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** ISO 8601. */
  expiresAt: string;
  /** The service account the token acts as. */
  serviceAccount: string;
  projectId: string | null;
}

export interface GcpIssuerOptions {
  /** OAuth token endpoint (env GOOGLE_TOKEN_URL). Default Google's. */
  tokenUrl?: string;
  /** IAM Credentials API base URL (env GOOGLE_IAM_CREDENTIALS_URL). Default Google's. */
  iamCredentialsUrl?: string;
  /**
   * The platform's own Google identity, which impersonates users' service accounts. Default:
   * Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, metadata server).
   */
  sourceClient?: AuthClient;
  /** Tokens are reissued when less than this is left, in milliseconds. Default 5 minutes. */
  refreshBeforeMs?: number;
  now?: () => number;
}

interface IssuedGcp {
  token: GcpAccessToken;
  expiresAt: Date;
}

/**
 * A service-account (JWT bearer grant) client. The library has Google's token URL built in and
 * ignores the key's `token_uri`, so a different `tokenUrl` is applied on the client's own
 * transport, the one request path used in production too.
 */
export function serviceAccountClient(
  key: Pick<ServiceAccountKey, 'client_email' | 'private_key' | 'private_key_id'>,
  scopes: string[],
  tokenUrl: string = GOOGLE_TOKEN_URL,
): JWT {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes,
  });
  if (tokenUrl !== GOOGLE_TOKEN_URL) {
    const target = new URL(tokenUrl);
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (options.url.href === GOOGLE_TOKEN_URL) options.url = target;
        return options;
      },
    });
  }
  return client;
}

/** Trades a verified sandbox token for a Google access token of a user's service account. */
export class GcpIssuer {
  private readonly cache: FetchCache<IssuedGcp>;
  private source: Promise<AuthClient> | undefined;

  constructor(private readonly opts: GcpIssuerOptions = {}) {
    this.cache = credentialCache(opts.refreshBeforeMs ?? 5 * 60_000, opts.now ?? Date.now);
    if (opts.sourceClient) this.source = Promise.resolve(opts.sourceClient);
  }

  async issue(claims: SandboxTokenClaims, cred: LoadedGcpCredential): Promise<Fetched<IssuedGcp>> {
    return this.cache.fetch(`${claims.userId}/${cred.version}`, () => this.fetch(cred));
  }

  forget(userId: string, credentialId: string): void {
    this.cache.deletePrefix(`${userId}/${credentialId}@`);
  }

  /** Drops every token cached for the user (a service-account mapping was removed). */
  forgetUser(userId: string): void {
    this.cache.deletePrefix(`${userId}/`);
  }

  private async fetch(cred: LoadedGcpCredential): Promise<IssuedGcp> {
    const { config } = cred;
    try {
      const client = await this.clientFor(cred);
      const { token } = await client.getAccessToken();
      const expiry = client.credentials.expiry_date;
      if (!token || !expiry) throw new Error('Google answered without an access token');
      const expiresAt = new Date(expiry);
      return {
        expiresAt,
        token: {
          accessToken: token,
          tokenType: 'Bearer',
          expiresAt: expiresAt.toISOString(),
          serviceAccount: config.serviceAccount,
          projectId: config.projectId,
        },
      };
    } catch (err) {
      const status = (err as { status?: number; response?: { status?: number } }).response?.status;
      throw new BrokerUpstreamError(
        status && status >= 400 && status < 500
          ? 'dynamiq.broker.upstream_refused'
          : 'dynamiq.broker.upstream_failed',
        'gcp',
        `Google refused an access token for ${config.serviceAccount}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private async clientFor(cred: LoadedGcpCredential): Promise<JWT | Impersonated> {
    const { config, secret } = cred;
    if (config.mode === 'key') {
      // Tokens from a key are always one hour: Google's JWT bearer grant has no lifetime knob.
      return serviceAccountClient(secret.key!, config.scopes, this.opts.tokenUrl);
    }
    // A failed lookup (no ADC yet) is not kept, so fixing the environment needs no restart.
    this.source ??= new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient().catch((err) => {
      this.source = undefined;
      throw err;
    });
    return new Impersonated({
      sourceClient: await this.source,
      targetPrincipal: config.serviceAccount,
      targetScopes: config.scopes,
      delegates: [],
      lifetime: Math.min(config.lifetimeSeconds, 3600),
      ...(this.opts.iamCredentialsUrl ? { endpoint: this.opts.iamCredentialsUrl } : {}),
    });
  }
}
