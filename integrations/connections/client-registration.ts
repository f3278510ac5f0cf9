// Which OAuth client an integration uses. For a new authorization an administrator's
// (OAUTH_<ID>_CLIENT_ID) always wins; otherwise, where the provider lets clients register
// themselves (RFC 7591, remote MCP servers), the client Dynamiq registered, one current per
// deployment and integration. An existing grant always uses the client it was issued to, kept
// after a newer registration replaced it for new connects.
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
   * there is none, or none for the current redirect URI.
   */
  registerFor?: string;
  /**
   * Set for an existing grant (a pending state's code exchange, a connection's refresh or
   * revocation): the client_id it was made with, which alone can use it. Null for a grant from
   * before client ids were recorded, which was made with the configured client.
   */
  grantClientId?: string | null;
}

/**
 * The client to use with the integration's provider: for a new authorization the configured one,
 * else the current registration (registered now if there is none); for an existing grant the
 * client it was issued to. Throws `oauth_not_configured` (naming the variables to set) when
 * there is none and none can be registered, `registration_failed` when the provider refuses to
 * register one, and `oauth_not_configured` / `secret_unreadable` when a grant's client is gone.
 */
export async function clientFor(
  ctx: ConnectionsContext,
  integration: Integration,
  use: ClientUse = {},
): Promise<OAuthClient> {
  const configured = ctx.oauthClients.get(integration.id);
  const registrationUrl = integration.oauth?.registrationUrl
    ? endpointsOf(ctx, integration).registrationUrl
    : undefined;
  if (use.registerFor === undefined && use.grantClientId != null) {
    if (configured?.clientId === use.grantClientId) return configured;
    return registeredClient(ctx, integration, use.grantClientId);
  }
  if (configured) return configured;
  if (!registrationUrl) return requireOAuthClient(ctx.oauthClients, integration);

  const row = await currentRegistration(ctx.db, integration.id);
  const stored = row ? openRegistration(ctx, row) : undefined;
  if (use.registerFor === undefined) {
    // A grant from before client ids were recorded: the one registration there was then.
    if (stored) return stored.client;
    throw goneClient(
      integration,
      row ? 'sealed with a master key that is not configured' : 'gone',
      row !== null,
    );
  }
  if (stored && isCurrent(ctx, stored)) return stored.client;

  const registerFor = use.registerFor;
  return ctx.registering.get(integration.id, () =>
    register(ctx, integration, registrationUrl, registerFor),
  );
}

/** The registration a grant was made with, current or superseded. */
async function registeredClient(
  ctx: ConnectionsContext,
  integration: Integration,
  clientId: string,
): Promise<OAuthClient> {
  const row = await ctx.db.oAuthClientRegistration.findUnique({
    where: { integrationId_clientId: { integrationId: integration.id, clientId } },
  });
  const stored = row ? openRegistration(ctx, row) : undefined;
  if (stored) return stored.client;
  throw goneClient(
    integration,
    row ? 'sealed with a master key that is not configured' : 'no longer configured',
    row !== null,
  );
}

// An existing grant belongs to the client it was issued to; a new client cannot use it.
const goneClient = (integration: Integration, why: string, unreadable: boolean) =>
  new ConnectionError(
    unreadable
      ? 'dynamiq.connections.secret_unreadable'
      : 'dynamiq.connections.oauth_not_configured',
    `The OAuth client this ${integration.name} connection was made with is ${why}; ` +
      `reconnect ${integration.name}.`,
  );

type RegistrationReader = Pick<ConnectionsContext['db'], 'oAuthClientRegistration'>;

/** The registration new connects use: the one not superseded (the newest, should two be). */
const currentRegistration = (db: RegistrationReader, integrationId: string) =>
  db.oAuthClientRegistration.findFirst({
    where: { integrationId, supersededAt: null },
    orderBy: { createdAt: 'desc' },
  });

/**
 * Deletes the integration's superseded registrations that no connection and no pending
 * authorization was made with: nothing can use them any more.
 */
export async function pruneRegistrations(
  db: Pick<ConnectionsContext['db'], '$executeRaw'>,
  integrationId: string,
): Promise<number> {
  return db.$executeRaw`
    DELETE FROM "OAuthClientRegistration" AS r
    WHERE r."integrationId" = ${integrationId}
      AND r."supersededAt" IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM "Connection" AS c
                      WHERE c."integrationId" = r."integrationId" AND c."oauthClientId" = r."clientId")
      AND NOT EXISTS (SELECT 1 FROM "OAuthState" AS s
                      WHERE s."integrationId" = r."integrationId" AND s."oauthClientId" = r."clientId"
                        AND s."usedAt" IS NULL AND s."expiresAt" > now())`;
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
        const row = await currentRegistration(tx, integrationId);
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
        // The one it replaces stays for the grants made with it; new connects use this one.
        await tx.oAuthClientRegistration.updateMany({
          where: { integrationId, supersededAt: null },
          data: { supersededAt: new Date() },
        });
        await tx.oAuthClientRegistration.create({ data: { integrationId, ...data } });
        await pruneRegistrations(tx, integrationId);
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
