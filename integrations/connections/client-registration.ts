// Which OAuth client an integration uses. An administrator's (OAUTH_<ID>_CLIENT_ID) always wins;
// otherwise, where the provider lets clients register themselves (RFC 7591, remote MCP servers),
// the client Dynamiq registered, stored once per deployment and integration.
import { DecryptError, oauthClientContext, open, seal } from '../../lib/crypto/index.js';
import type { Integration } from '../schema.js';
import type { OAuthClient } from './clients.js';
import { oauthEnvNames, requireOAuthClient } from './clients.js';
import type { ConnectionsContext } from './context.js';
import { audit, endpointsOf, redirectUriOf } from './context.js';
import { ConnectionError } from './errors.js';
import { PROVIDER_TIMEOUT_MS } from './oauth-http.js';
import { RegistrationError, registerClient } from './oauth-register.js';
import type { ClientRegistration, RegisteredAuth } from './oauth-register.js';
import { registrationSecretSchema, toBytes } from './secrets.js';
import type { RegistrationSecret } from './secrets.js';

/** Whether an oauth2 integration can get a client: configured, or registered on first connect. */
export function hasOAuthClient(ctx: ConnectionsContext, integration: Integration): boolean {
  if (integration.authType !== 'oauth2') return false;
  return ctx.oauthClients.has(integration.id) || integration.oauth?.registrationUrl !== undefined;
}

export interface ClientUse {
  /**
   * Set when starting an authorization, to the user starting it: a client is registered now if
   * there is none, or none for the current redirect URI. Left out for an existing grant (code
   * exchange, refresh, revocation), which must use the client it was issued to.
   */
  registerFor?: string;
}

/**
 * The client to use with the integration's provider. Throws `oauth_not_configured` (naming the
 * variables to set) when there is none and none can be registered, and `registration_failed`
 * when the provider refuses to register one.
 */
export async function clientFor(
  ctx: ConnectionsContext,
  integration: Integration,
  use: ClientUse = {},
): Promise<OAuthClient> {
  const configured = ctx.oauthClients.get(integration.id);
  if (configured) return configured;
  const registrationUrl = integration.oauth?.registrationUrl
    ? endpointsOf(ctx, integration).registrationUrl
    : undefined;
  if (!registrationUrl) return requireOAuthClient(ctx.oauthClients, integration);

  const row = await ctx.db.oAuthClientRegistration.findUnique({
    where: { integrationId: integration.id },
  });
  const stored = row ? openRegistration(ctx, row) : undefined;
  if (use.registerFor === undefined) {
    if (stored) return stored.client;
    // An existing grant belongs to the client it was issued to; a new client cannot use it.
    const why = row ? 'sealed with a master key that is not configured' : 'gone';
    throw new ConnectionError(
      row ? 'dynamiq.connections.secret_unreadable' : 'dynamiq.connections.oauth_not_configured',
      `The OAuth client Dynamiq registered at ${integration.name} is ${why}; ` +
        `reconnect ${integration.name}.`,
    );
  }
  if (stored && isCurrent(ctx, stored)) return stored.client;

  const registerFor = use.registerFor;
  return ctx.registering.get(integration.id, () =>
    register(ctx, integration, registrationUrl, registerFor),
  );
}

interface StoredRegistration {
  client: OAuthClient;
  redirectUri: string;
  secretExpiresAt: Date | null;
}

type RegistrationRow = {
  integrationId: string;
  clientId: string;
  tokenAuth: string;
  redirectUri: string;
  secret: Uint8Array | null;
  secretExpiresAt: Date | null;
};

/** Undefined when the sealed part cannot be opened (its master key is gone): register again. */
function openRegistration(
  ctx: ConnectionsContext,
  row: RegistrationRow,
): StoredRegistration | undefined {
  let secret: RegistrationSecret = {};
  if (row.secret) {
    try {
      const plaintext = open(ctx.keyring, row.secret, oauthClientContext(row.integrationId));
      secret = registrationSecretSchema.parse(JSON.parse(plaintext.toString('utf8')));
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      ctx.log.warn({ integrationId: row.integrationId }, 'registered OAuth client unreadable');
      return undefined;
    }
  }
  return {
    client: clientOf(row.clientId, row.tokenAuth as RegisteredAuth, secret.clientSecret),
    redirectUri: row.redirectUri,
    secretExpiresAt: row.secretExpiresAt,
  };
}

const clientOf = (
  clientId: string,
  tokenAuth: RegisteredAuth,
  clientSecret: string | undefined,
): OAuthClient =>
  tokenAuth !== 'none' && clientSecret ? { clientId, clientSecret, tokenAuth } : { clientId };

// A client registered for another PUBLIC_URL would send users to the old callback; a secret
// must outlast the flow about to start with it.
const isCurrent = (ctx: ConnectionsContext, r: StoredRegistration) =>
  r.redirectUri === redirectUriOf(ctx) &&
  (r.secretExpiresAt === null || r.secretExpiresAt.getTime() > Date.now() + ctx.stateTtlMs);

async function register(
  ctx: ConnectionsContext,
  integration: Integration,
  registrationUrl: string,
  userId: string,
): Promise<OAuthClient> {
  const integrationId = integration.id;
  const redirectUri = redirectUriOf(ctx);
  const names = oauthEnvNames(integrationId);
  try {
    return await ctx.db.$transaction(
      async (tx) => {
        // Before the first registration there is no row to lock. A transaction-scoped advisory
        // lock on the integration serializes processes instead, held across the provider call
        // like the refresh's row lock: the next process in finds the new row and uses it.
        const key = oauthClientContext(integrationId);
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
        const row = await tx.oAuthClientRegistration.findUnique({ where: { integrationId } });
        const stored = row ? openRegistration(ctx, row) : undefined;
        if (stored && isCurrent(ctx, stored)) return stored.client;

        const registration = await registerClient({
          registrationUrl,
          redirectUri,
          scopes: integration.oauth?.scopes ?? [],
          tokenAuth: integration.oauth?.tokenAuth ?? 'none',
          providerName: integration.name,
          alternative:
            `Alternatively an administrator can create an OAuth application at ` +
            `${integration.name} and set ${names.clientId} and ${names.clientSecret}.`,
        });
        const data = {
          clientId: registration.clientId,
          tokenAuth: registration.tokenAuth,
          redirectUri,
          ...sealRegistration(ctx, integrationId, registration),
          secretExpiresAt: registration.secretExpiresAt ?? null,
        };
        await tx.oAuthClientRegistration.upsert({
          where: { integrationId },
          create: { integrationId, ...data },
          update: { ...data, createdAt: new Date() },
        });
        await audit(tx, {
          userId,
          action: 'oauth_client.registered',
          integrationId,
          outcome: 'ok',
          detail: {
            clientId: registration.clientId,
            tokenAuth: registration.tokenAuth,
            redirectUri,
            replaced: row?.clientId ?? null,
          },
        });
        return clientOf(registration.clientId, registration.tokenAuth, registration.clientSecret);
      },
      // The lock is held across the provider call; allow for its timeout plus the queue.
      { maxWait: PROVIDER_TIMEOUT_MS, timeout: PROVIDER_TIMEOUT_MS * 2 },
    );
  } catch (err) {
    if (err instanceof ConnectionError) {
      await audit(ctx.db, {
        userId,
        action: 'oauth_client.registration_failed',
        integrationId,
        outcome: err instanceof RegistrationError ? 'refused' : 'error',
        detail:
          err instanceof RegistrationError
            ? { status: err.httpStatus, error: err.oauthError ?? null }
            : { reason: err.code },
      });
    }
    throw err;
  }
}

function sealRegistration(
  ctx: ConnectionsContext,
  integrationId: string,
  r: ClientRegistration,
): { secret: Uint8Array<ArrayBuffer> | null; secretKeyId: string | null } {
  const secret = registrationSecretSchema.parse({
    clientSecret: r.clientSecret,
    registrationAccessToken: r.registrationAccessToken,
    registrationClientUri: r.registrationClientUri,
  });
  if (Object.values(secret).every((v) => v === undefined))
    return { secret: null, secretKeyId: null };
  const plaintext = Buffer.from(JSON.stringify(secret), 'utf8');
  return {
    secret: toBytes(seal(ctx.keyring, plaintext, oauthClientContext(integrationId))),
    secretKeyId: ctx.keyring.current.id,
  };
}
