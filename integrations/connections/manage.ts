import { clientFor, pruneRegistrations } from './client-registration.js';
import type { ConnectionsContext } from './context.js';
import { audit, clientAuthOf, endpointsOf, integrationOf } from './context.js';
import { ConnectionError } from './errors.js';
import { checkKey, credentialNames } from './key-check.js';
import { revokeToken } from './oauth-client.js';
import { openConnectionSecret } from './secrets.js';
import type { StoredSecret } from './secrets.js';
import { saveConnection } from './store.js';

/**
 * Connects an api_key or token integration: the key(s) are checked at the provider's keyCheck
 * endpoint where the entry has an http one, then sealed and stored. A key the provider refuses
 * is never stored.
 */
export async function connectWithKeys(
  ctx: ConnectionsContext,
  userId: string,
  integrationId: string,
  input: { credentials: Readonly<Record<string, string>>; accountLabel?: string },
): Promise<{ checked: boolean }> {
  const integration = integrationOf(ctx, integrationId);
  if (integration.authType !== 'api_key' && integration.authType !== 'token') {
    throw new ConnectionError(
      'dynamiq.connections.unsupported',
      integration.authType === 'oauth2'
        ? `${integration.name} connects with OAuth: POST without a body to get an authorizeUrl.`
        : `${integration.name} uses cloud credentials, which are configured separately.`,
    );
  }
  const names = credentialNames(integration);
  const missing = names.filter((n) => !input.credentials[n]);
  const extra = Object.keys(input.credentials).filter((n) => !names.includes(n));
  if (missing.length || extra.length) {
    throw new ConnectionError(
      'dynamiq.connections.missing_credentials',
      `${integration.name} takes credentials {${names.join(', ')}}` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length ? `; not used: ${extra.join(', ')}` : '') +
        '.',
    );
  }
  const credentials = Object.fromEntries(names.map((n) => [n, input.credentials[n]!]));
  let result;
  try {
    result = await checkKey(integration, endpointsOf(ctx, integration), credentials);
  } catch (err) {
    if (err instanceof ConnectionError) {
      await audit(ctx.db, {
        userId,
        action: 'connection.connect_failed',
        integrationId,
        outcome: err.code === 'dynamiq.connections.key_rejected' ? 'refused' : 'error',
        detail: { reason: err.code },
      });
    }
    throw err;
  }
  await saveConnection(ctx, {
    userId,
    integrationId,
    secret: { kind: 'keys', credentials },
    accountLabel: input.accountLabel ?? result.accountLabel,
    scopes: [],
    expiresAt: null,
  });
  await audit(ctx.db, {
    userId,
    action: 'connection.connected',
    integrationId,
    outcome: 'ok',
    detail: { checked: result.checked },
  });
  return { checked: result.checked };
}

/**
 * Revokes the grant at the provider where it offers revocation (best effort: a failure is an
 * audit event, not an error, since the user wants the connection gone either way), then deletes
 * the row and with it the sealed secret.
 */
export async function disconnect(
  ctx: ConnectionsContext,
  userId: string,
  integrationId: string,
): Promise<{ revoked: boolean | null }> {
  const integration = integrationOf(ctx, integrationId);
  const row = await ctx.db.connection.findUnique({
    where: { userId_integrationId: { userId, integrationId } },
    select: { id: true, secret: true, oauthClientId: true },
  });
  if (!row) {
    throw new ConnectionError(
      'dynamiq.connections.not_connected',
      `${integration.name} is not connected.`,
    );
  }
  const revokeUrl = endpointsOf(ctx, integration).revokeUrl;
  // Without a client (none configured, none registered) there is nothing to revoke with.
  const client =
    integration.authType === 'oauth2' && revokeUrl
      ? await clientFor(ctx, integration, { grantClientId: row.oauthClientId }).catch(
          (err: unknown) => {
            if (err instanceof ConnectionError) return undefined;
            throw err;
          },
        )
      : undefined;
  let revoked: boolean | null = null;
  if (integration.authType === 'oauth2' && revokeUrl && client) {
    let detail: Record<string, string | number>;
    try {
      const secret: StoredSecret = openConnectionSecret(ctx.keyring, row);
      if (secret.kind !== 'oauth') throw new Error('not an OAuth secret');
      const result = await revokeToken({
        revokeUrl,
        client,
        auth: clientAuthOf(integration, client),
        accessToken: secret.accessToken,
        refreshToken: secret.refreshToken,
        dialect: integration.oauth?.dialect,
      });
      revoked = result.revoked;
      detail = { status: result.status, ...(result.error ? { error: result.error } : {}) };
    } catch (err) {
      revoked = false;
      detail = {
        reason: err instanceof ConnectionError ? err.code : `unreachable (${(err as Error).name})`,
      };
    }
    if (!revoked) {
      await audit(ctx.db, {
        userId,
        action: 'connection.revoke_failed',
        integrationId,
        outcome: 'error',
        detail,
      });
    }
  }
  await ctx.db.connection.deleteMany({ where: { id: row.id } });
  // The last grant of a replaced registration may just have gone with it.
  if (row.oauthClientId) await pruneRegistrations(ctx.db, integrationId);
  await audit(ctx.db, {
    userId,
    action: 'connection.disconnected',
    integrationId,
    outcome: 'ok',
    detail: { revoked },
  });
  return { revoked };
}
