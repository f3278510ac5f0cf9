import { FetchCache } from '../../lib/cache/index.js';
import type { Integration } from '../schema.js';
import { clientFor } from './client-registration.js';
import type { ConnectionsContext } from './context.js';
import { audit, clientAuthOf, endpointsOf, integrationOf } from './context.js';
import { ConnectionError, ReconnectRequiredError, usableRow } from './errors.js';
import { PROVIDER_TIMEOUT_MS, TokenRequestError, refreshGrant } from './oauth-client.js';
import { openConnectionSecret, sealConnectionSecret } from './secrets.js';

export interface AccessToken {
  accessToken: string;
  /** Null for tokens that do not expire (API keys, GitHub OAuth app tokens). */
  expiresAt: Date | null;
}

type Refreshed =
  | { kind: 'token'; token: AccessToken }
  | { kind: 'reconnect' }
  | { kind: 'failed'; error: ConnectionError };

/**
 * The one place credentials leave the database in the clear. Access tokens are refreshed
 * shortly before they expire; concurrent refreshes of one connection collapse into one, within
 * this process (a shared promise per connection) and across processes (a row lock held while the
 * provider is asked, so a second process waits and then reads the new token).
 */
export class TokenIssuer {
  /** Refreshes running now, by connection id (kept no longer: the database has the token). */
  private readonly refreshing = new FetchCache<AccessToken>({ ttlMs: 0 });

  constructor(private readonly ctx: ConnectionsContext) {}

  /**
   * A usable access token (or, for single-key integrations, the key). Throws
   * `ReconnectRequiredError` when only the user can restore the connection, and
   * `ConnectionError` `refresh_failed` when the provider could not be asked (retry later).
   */
  async getAccessToken(userId: string, integrationId: string): Promise<AccessToken> {
    const integration = integrationOf(this.ctx, integrationId);
    const row = usableRow(
      integration,
      await this.ctx.db.connection.findUnique({
        where: { userId_integrationId: { userId, integrationId } },
        select: { id: true, status: true, secret: true, expiresAt: true, oauthClientId: true },
      }),
    );
    if (!this.isStale(row.expiresAt)) return this.tokenOf(integration, row);

    return this.refreshing.get(row.id, () =>
      this.refresh(integration, userId, row.id, row.oauthClientId),
    );
  }

  private isStale(expiresAt: Date | null): boolean {
    return expiresAt !== null && expiresAt.getTime() - Date.now() < this.ctx.refreshBeforeMs;
  }

  private tokenOf(
    integration: Integration,
    row: { id: string; secret: Uint8Array | null; expiresAt: Date | null },
  ): AccessToken {
    const secret = openConnectionSecret(this.ctx.keyring, row);
    if (secret.kind === 'oauth')
      return { accessToken: secret.accessToken, expiresAt: row.expiresAt };
    const token = secret.credentials.token;
    if (token) return { accessToken: token, expiresAt: null };
    throw new ConnectionError(
      'dynamiq.connections.unsupported',
      `${integration.name} uses several keys (${Object.keys(secret.credentials).join(', ')}), not one token.`,
    );
  }

  private async refresh(
    integration: Integration,
    userId: string,
    connectionId: string,
    /** The client the grant was issued to: only it may refresh it. */
    grantClientId: string | null,
  ): Promise<AccessToken> {
    const { db, keyring } = this.ctx;
    const client = await clientFor(this.ctx, integration, { grantClientId });
    const tokenUrl = endpointsOf(this.ctx, integration).tokenUrl;
    const base = {
      userId,
      integrationId: integration.id,
      action: 'connection.refresh_failed' as const,
    };

    const outcome = await db.$transaction(
      async (tx): Promise<Refreshed> => {
        await tx.$queryRaw`SELECT id FROM "Connection" WHERE id = ${connectionId}::uuid FOR UPDATE`;
        const row = await tx.connection.findUnique({ where: { id: connectionId } });
        if (!row) return { kind: 'failed', error: notConnected(integration) };
        if (row.status === 'needs_reconnect') return { kind: 'reconnect' };
        // Another process may have refreshed while this one waited for the lock.
        if (!this.isStale(row.expiresAt))
          return { kind: 'token', token: this.tokenOf(integration, row) };

        const secret = openConnectionSecret(keyring, row);
        const markReconnect = async (
          lastError: string,
          detail: Record<string, string | number>,
        ) => {
          await tx.connection.update({
            where: { id: connectionId },
            data: { status: 'needs_reconnect', lastError },
          });
          await audit(tx, { ...base, outcome: 'refused', detail });
          return { kind: 'reconnect' } as const;
        };
        if (secret.kind !== 'oauth' || !secret.refreshToken || !tokenUrl) {
          return markReconnect('The access token expired and cannot be refreshed.', {
            reason: 'no_refresh_token',
          });
        }
        try {
          const tokens = await refreshGrant({
            tokenUrl,
            client,
            auth: clientAuthOf(integration, client),
            dialect: integration.oauth?.dialect,
            refreshToken: secret.refreshToken,
          });
          await tx.connection.update({
            where: { id: connectionId },
            data: {
              // Providers that rotate refresh tokens send a new one; others keep the old one valid.
              ...sealConnectionSecret(keyring, connectionId, {
                kind: 'oauth',
                accessToken: tokens.accessToken,
                refreshToken: tokens.refreshToken ?? secret.refreshToken,
              }),
              expiresAt: tokens.expiresAt,
              ...(tokens.scopes ? { scopes: tokens.scopes } : {}),
              lastError: null,
            },
          });
          await audit(tx, {
            userId,
            integrationId: integration.id,
            action: 'connection.refreshed',
            outcome: 'ok',
            detail: { expiresAt: tokens.expiresAt?.toISOString() ?? null },
          });
          return {
            kind: 'token',
            token: { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt },
          };
        } catch (err) {
          if (err instanceof TokenRequestError && err.rejected) {
            return markReconnect(
              `${integration.name} refused to refresh the token (HTTP ${err.httpStatus}${err.oauthError ? `, ${err.oauthError}` : ''}).`,
              { status: err.httpStatus, error: err.oauthError ?? 'none' },
            );
          }
          if (!(err instanceof ConnectionError)) throw err;
          await audit(tx, { ...base, outcome: 'error', detail: { reason: err.message } });
          return { kind: 'failed', error: err };
        }
      },
      // The lock is held across the provider call; allow for its timeout plus the queue.
      { maxWait: PROVIDER_TIMEOUT_MS, timeout: PROVIDER_TIMEOUT_MS * 2 },
    );

    if (outcome.kind === 'token') return outcome.token;
    if (outcome.kind === 'reconnect')
      throw new ReconnectRequiredError(integration.id, integration.name);
    throw new ConnectionError(
      'dynamiq.connections.refresh_failed',
      `${integration.name} could not refresh the access token right now; try again shortly. ${outcome.error.message}`,
      { cause: outcome.error },
    );
  }
}

function notConnected(integration: Integration): ConnectionError {
  return new ConnectionError(
    'dynamiq.connections.not_connected',
    `${integration.name} was disconnected.`,
  );
}
