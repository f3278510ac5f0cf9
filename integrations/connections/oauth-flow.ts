import { DecryptError, oauthStateContext, open, seal } from '../../lib/crypto/index.js';
import type { Integration } from '../schema.js';
import { clientFor } from './client-registration.js';
import type { ConnectionsContext } from './context.js';
import { audit, clientAuthOf, endpointsOf, integrationOf, redirectUriOf } from './context.js';
import { ConnectionError } from './errors.js';
import { checkKey, credentialNames } from './key-check.js';
import {
  buildAuthorizeUrl,
  checkAuthorizationResponse,
  createPkce,
  exchangeCode,
  hashState,
  randomState,
} from './oauth-client.js';
import { toBytes } from './secrets.js';
import { saveConnection } from './store.js';

// Finished or abandoned states are kept a day for investigation, then swept on the next start.
const STATE_RETENTION_MS = 24 * 60 * 60_000;

function requireOAuth(integration: Integration) {
  if (integration.authType !== 'oauth2' || !integration.oauth) {
    const how =
      integration.authType === 'cloud_role'
        ? 'cloud credentials, which are configured separately'
        : `a key: send {"credentials": {${credentialNames(integration)
            .map((n) => `"${n}": "..."`)
            .join(', ')}}}`;
    throw new ConnectionError(
      'dynamiq.connections.unsupported',
      `${integration.name} is not connected with OAuth but with ${how}.`,
    );
  }
  return integration.oauth;
}

/**
 * Starts an authorization-code flow: a random state (stored only as its hash, bound to the user
 * and integration, single use, short-lived) and a PKCE verifier sealed in the same row. The
 * caller sends the browser to `authorizeUrl`; `state` is returned so the API can also bind the
 * flow to that browser.
 */
export async function startOAuth(
  ctx: ConnectionsContext,
  userId: string,
  integrationId: string,
): Promise<{ authorizeUrl: string; state: string; expiresAt: Date }> {
  const integration = integrationOf(ctx, integrationId);
  const oauth = requireOAuth(integration);
  const client = await clientFor(ctx, integration, { registerFor: userId });
  const endpoints = endpointsOf(ctx, integration);
  const state = randomState();
  const stateHash = hashState(state);
  const pkce = await createPkce();
  const expiresAt = new Date(Date.now() + ctx.stateTtlMs);
  await ctx.db.oAuthState.deleteMany({
    where: { expiresAt: { lt: new Date(Date.now() - STATE_RETENTION_MS) } },
  });
  await ctx.db.oAuthState.create({
    data: {
      stateHash,
      userId,
      integrationId,
      // Sealed even where the provider takes no PKCE: the row must open to be accepted.
      codeVerifier: toBytes(
        seal(ctx.keyring, Buffer.from(pkce.verifier), oauthStateContext(stateHash)),
      ),
      // The code this flow brings back can only be exchanged by the client it was issued to.
      oauthClientId: client.clientId,
      expiresAt,
    },
  });
  const authorizeUrl = buildAuthorizeUrl({
    authorizeUrl: endpoints.authorizeUrl!,
    client,
    redirectUri: redirectUriOf(ctx),
    state,
    scopes: oauth.scopes,
    codeChallenge: oauth.pkce ? pkce.challenge : undefined,
    dialect: oauth.dialect,
  });
  return { authorizeUrl, state, expiresAt };
}

const invalidState = (why: string) =>
  new ConnectionError(
    'dynamiq.connections.invalid_state',
    `This authorization ${why}. Start the connection again from the Integrations page.`,
  );

/**
 * Finishes a flow from the provider's redirect. The state is claimed (marked used) before
 * anything else, so a replayed redirect fails even while the first is still exchanging its code.
 * Every refusal happens before the token exchange, and nothing is stored unless it succeeds.
 */
export async function completeOAuth(
  ctx: ConnectionsContext,
  input: {
    state: string;
    code?: string;
    error?: string;
    /** RFC 9207: checked against the catalog's `issuer` where the entry declares one. */
    iss?: string;
    /** When the redirect names its integration, it must be the one the state was made for. */
    integration?: string;
    /** When the browser is signed in, it must be the user who started the flow. */
    expectedUserId?: string;
  },
): Promise<{ userId: string; integrationId: string }> {
  const stateHash = hashState(input.state);
  const row = await ctx.db.oAuthState.findUnique({ where: { stateHash } });
  if (!row) throw invalidState('is unknown');
  const claimed = await ctx.db.oAuthState.updateMany({
    where: { stateHash, usedAt: null },
    data: { usedAt: new Date() },
  });
  if (claimed.count !== 1) throw invalidState('was already used');
  if (row.expiresAt.getTime() <= Date.now()) throw invalidState('has expired');
  if (input.integration !== undefined && input.integration !== row.integrationId) {
    throw invalidState(`was started for another integration than ${input.integration}`);
  }
  if (input.expectedUserId !== undefined && input.expectedUserId !== row.userId) {
    throw invalidState('was started by another user');
  }
  let verifier: string;
  try {
    verifier = open(ctx.keyring, row.codeVerifier, oauthStateContext(stateHash)).toString('utf8');
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    throw invalidState('cannot be verified');
  }
  if (verifier.length < 43) throw invalidState('cannot be verified');

  const { userId, integrationId } = row;
  const integration = integrationOf(ctx, integrationId);
  const oauth = requireOAuth(integration);
  const client = await clientFor(ctx, integration, { grantClientId: row.oauthClientId });
  const endpoints = endpointsOf(ctx, integration);
  const response = checkAuthorizationResponse({
    client,
    // The catalog's issuer names the catalog's server. An overridden authorize URL (GitHub
    // Enterprise, a single tenant) is another server, whose issuer the catalog cannot know.
    issuer: endpoints.authorizeUrl === oauth.authorizeUrl ? oauth.issuer : undefined,
    issRequired: oauth.issRequired ?? false,
    query: input,
  });
  if (response.kind !== 'code') {
    const reason = response.kind === 'error' ? response.error : response.reason;
    await audit(ctx.db, {
      userId,
      action: 'connection.connect_failed',
      integrationId,
      outcome: 'refused',
      detail: { reason },
    });
    if (response.kind === 'wrong_issuer') {
      throw invalidState(
        `did not come from ${integration.name}: the iss parameter ${response.reason === 'issuer_missing' ? 'is missing' : 'names another server'}`,
      );
    }
    throw new ConnectionError(
      'dynamiq.connections.oauth_denied',
      `${integration.name} did not grant access (${reason === 'no_code' ? 'no code returned' : reason}).`,
    );
  }
  let tokens;
  try {
    tokens = await exchangeCode({
      tokenUrl: endpoints.tokenUrl!,
      client,
      auth: clientAuthOf(integration, client),
      dialect: oauth.dialect,
      response: response.params,
      redirectUri: redirectUriOf(ctx),
      codeVerifier: oauth.pkce ? verifier : undefined,
    });
  } catch (err) {
    await audit(ctx.db, {
      userId,
      action: 'connection.connect_failed',
      integrationId,
      outcome: 'error',
      detail: { reason: err instanceof ConnectionError ? err.message : 'token exchange failed' },
    });
    throw err;
  }
  // The label is a nicety: a failing "who am I" call must not lose a granted connection.
  const label = await checkKey(integration, endpoints, { token: tokens.accessToken }).catch(
    (err: unknown) => {
      ctx.log.warn({ integrationId, code: (err as ConnectionError).code }, 'no account label');
      return { accountLabel: undefined };
    },
  );
  const scopes = tokens.scopes ?? [...oauth.scopes];
  await saveConnection(ctx, {
    userId,
    integrationId,
    secret: { kind: 'oauth', accessToken: tokens.accessToken, refreshToken: tokens.refreshToken },
    accountLabel: label.accountLabel,
    scopes,
    expiresAt: tokens.expiresAt,
    oauthClientId: client.clientId,
  });
  await audit(ctx.db, {
    userId,
    action: 'connection.connected',
    integrationId,
    outcome: 'ok',
    detail: { scopes, expiresAt: tokens.expiresAt?.toISOString() ?? null },
  });
  return { userId, integrationId };
}
