import type { Integration } from '../schema.js';
import { endpointsOf, integrationOf } from './context.js';
import type { ConnectionsContext } from './context.js';
import type { ResolvedEndpoints } from '../endpoints.js';
import { ConnectionError, usableRow } from './errors.js';
import { openConnectionSecret } from './secrets.js';
import { isLongLived } from './store.js';
import type { TokenIssuer } from './tokens.js';

/** A connection's credentials by name, ready for a CLI's environment or the API proxy. */
export interface UsableCredentials {
  integration: Integration;
  endpoints: ResolvedEndpoints;
  /** By keyPlacement credential name; an OAuth connection's access token is `token`. */
  credentials: Record<string, string>;
  /** When the credentials stop working; null for keys that do not expire. */
  expiresAt: Date | null;
  /**
   * The credential would work for good once in a sandbox (no expiry, a CLI takes it): it is
   * handed to sandbox commands only with the user's consent.
   */
  longLived: boolean;
  /** When the user allowed a long-lived key into sandboxes; null if never (or withdrawn). */
  sandboxKeyConsentAt: Date | null;
}

/**
 * Opens a connection's credentials for server-side use by the broker (the API proxy adds them
 * to upstream requests; the CLI endpoint hands short-lived ones to a sandbox helper). OAuth
 * tokens go through the token issuer, so they are refreshed shortly before expiry.
 */
export async function usableCredentials(
  ctx: ConnectionsContext,
  tokens: TokenIssuer,
  userId: string,
  integrationId: string,
): Promise<UsableCredentials> {
  const integration = integrationOf(ctx, integrationId);
  const row = usableRow(
    integration,
    await ctx.db.connection.findUnique({
      where: { userId_integrationId: { userId, integrationId } },
      select: { id: true, status: true, secret: true, expiresAt: true, sandboxKeyConsentAt: true },
    }),
  );
  const endpoints = endpointsOf(ctx, integration);
  const base = { integration, endpoints, sandboxKeyConsentAt: row.sandboxKeyConsentAt };
  if (integration.authType === 'oauth2') {
    const token = await tokens.getAccessToken(userId, integrationId);
    return {
      ...base,
      credentials: { token: token.accessToken },
      expiresAt: token.expiresAt,
      longLived: isLongLived(integration, token.expiresAt),
    };
  }
  const secret = openConnectionSecret(ctx.keyring, row);
  const credentials =
    secret.kind === 'keys' ? { ...secret.credentials } : { token: secret.accessToken };
  return {
    ...base,
    credentials,
    expiresAt: row.expiresAt,
    longLived: isLongLived(integration, row.expiresAt),
  };
}

/**
 * Records (or withdraws) the user's consent to hand a long-lived credential to sandbox commands.
 * Only connections whose credential does not expire and whose CLI would take it need it (keys
 * of CLIs that take nothing short-lived, GitHub OAuth-app tokens); others are refused, so the
 * portal never asks for a consent that would mean nothing.
 */
export async function setSandboxKeyConsent(
  ctx: ConnectionsContext,
  userId: string,
  integrationId: string,
  allow: boolean,
): Promise<Date | null> {
  const integration = integrationOf(ctx, integrationId);
  const row = await ctx.db.connection.findUnique({
    where: { userId_integrationId: { userId, integrationId } },
    select: { expiresAt: true },
  });
  // Withdrawing is always allowed; asking only where the consent means something.
  if (allow && !isLongLived(integration, row ? row.expiresAt : null)) {
    throw new ConnectionError(
      'dynamiq.connections.unsupported',
      `${integration.name} needs no consent: its credential never enters a sandbox for good (only short-lived credentials or the API proxy do).`,
    );
  }
  const at = allow ? new Date() : null;
  const updated = await ctx.db.connection.updateMany({
    where: { userId, integrationId },
    data: { sandboxKeyConsentAt: at },
  });
  if (updated.count === 0) {
    throw new ConnectionError(
      'dynamiq.connections.not_connected',
      `${integration.name} is not connected; connect it in the portal first.`,
    );
  }
  return at;
}
