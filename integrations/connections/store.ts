import { randomUUID } from 'node:crypto';
import { buildAgentContext } from '../agent-context.js';
import type { ConnectedIntegration } from '../agent-context.js';
import { hasCliCredentials } from '../cli-env.js';
import type { Integration } from '../schema.js';
import { hasOAuthClient } from './client-registration.js';
import type { ConnectionsContext } from './context.js';
import { integrationOf } from './context.js';
import { credentialNames } from './key-check.js';
import { sealConnectionSecret } from './secrets.js';
import type { StoredSecret } from './secrets.js';

export type ConnectionState = 'connected' | 'needs_reconnect' | 'not_connected';

/** What the API shows about one integration for one user. Holds no secret by construction. */
export interface IntegrationStatus {
  id: string;
  name: string;
  description: string;
  category: string;
  providerType: string;
  authType: string;
  capabilities: readonly string[];
  docsUrl: string;
  /**
   * oauth2: an OAuth application is configured, or the provider lets Dynamiq register one on the
   * first connect (RFC 7591); keys: always; cloud_role: never (cloud credentials).
   */
  connectable: boolean;
  /** For api_key/token entries: the names `POST .../connect` expects under `credentials`. */
  credentialNames: string[] | null;
  /**
   * The vendor's CLI takes only a long-lived key: it reaches sandbox commands only after the
   * user consents (`PUT .../sandbox-consent`); otherwise the CLI stays unauthenticated.
   */
  longLivedKeyOnly: boolean;
  status: ConnectionState;
  connection: {
    accountLabel: string | null;
    scopes: string[];
    expiresAt: string | null;
    connectedAt: string;
    updatedAt: string;
    lastError: string | null;
    /** When the user allowed the long-lived key into sandboxes; null if not. */
    sandboxKeyConsentAt: string | null;
    /**
     * The stored credential does not expire (an API key, a GitHub OAuth-app token) and the
     * integration's CLI would take it: sandbox commands get it only once the user consents.
     */
    needsSandboxConsent: boolean;
  } | null;
  /** mcp entries only: the provider holding the user's account (`pipedream`, `composio`). */
  accountProvider?: string;
  /** mcp entries only: why the provider could not tell the status (unconfigured, unreachable). */
  providerError?: string | null;
}

// Selecting columns explicitly keeps the sealed secret out of every read that only shows status.
const STATUS_COLUMNS = {
  integrationId: true,
  status: true,
  accountLabel: true,
  scopes: true,
  expiresAt: true,
  createdAt: true,
  updatedAt: true,
  lastError: true,
  sandboxKeyConsentAt: true,
} as const;

type StatusRow = {
  integrationId: string;
  status: 'active' | 'needs_reconnect';
  accountLabel: string | null;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastError: string | null;
  sandboxKeyConsentAt: Date | null;
};

function statusOf(ctx: ConnectionsContext, i: Integration, row?: StatusRow): IntegrationStatus {
  const isKeys = i.authType === 'api_key' || i.authType === 'token';
  return {
    id: i.id,
    name: i.name,
    description: i.description,
    category: i.category,
    providerType: i.providerType,
    authType: i.authType,
    capabilities: i.capabilities,
    docsUrl: i.docsUrl,
    connectable: isKeys || hasOAuthClient(ctx, i),
    credentialNames: isKeys ? credentialNames(i) : null,
    longLivedKeyOnly: i.longLivedKeyOnly,
    status: !row ? 'not_connected' : row.status === 'active' ? 'connected' : 'needs_reconnect',
    connection: row
      ? {
          accountLabel: row.accountLabel,
          scopes: row.scopes,
          expiresAt: row.expiresAt?.toISOString() ?? null,
          connectedAt: row.createdAt.toISOString(),
          updatedAt: row.updatedAt.toISOString(),
          lastError: row.lastError,
          sandboxKeyConsentAt: row.sandboxKeyConsentAt?.toISOString() ?? null,
          needsSandboxConsent: isLongLived(i, row.expiresAt),
        }
      : null,
  };
}

/**
 * Whether a connection's credential, once in a sandbox, would work for good: it has no expiry
 * and the integration's CLI takes it. Such a credential reaches sandbox commands only with the
 * user's consent; otherwise it is used only server-side (the API proxy).
 */
export function isLongLived(integration: Integration, expiresAt: Date | null): boolean {
  return hasCliCredentials(integration) && (integration.longLivedKeyOnly || expiresAt === null);
}

/** Every enabled integration in catalog order with the user's status. One query. */
export async function listStatuses(
  ctx: ConnectionsContext,
  userId: string,
): Promise<IntegrationStatus[]> {
  const rows = await ctx.db.connection.findMany({ where: { userId }, select: STATUS_COLUMNS });
  const byId = new Map(rows.map((r) => [r.integrationId, r]));
  return ctx.ordered.filter((i) => i.enabled).map((i) => statusOf(ctx, i, byId.get(i.id)));
}

export async function getStatus(
  ctx: ConnectionsContext,
  userId: string,
  integrationId: string,
): Promise<IntegrationStatus> {
  const integration = integrationOf(ctx, integrationId);
  const row = await ctx.db.connection.findUnique({
    where: { userId_integrationId: { userId, integrationId } },
    select: STATUS_COLUMNS,
  });
  return statusOf(ctx, integration, row ?? undefined);
}

/** The agent's system-prompt section for the user's working (active) connections. */
export async function agentContextFor(
  ctx: ConnectionsContext,
  userId: string,
  /** mcp-type integrations connected at their provider; our rows for those are not used. */
  atProviders: readonly ConnectedIntegration[] = [],
): Promise<string> {
  const rows = await ctx.db.connection.findMany({
    where: { userId, status: 'active' },
    select: { integrationId: true, accountLabel: true },
  });
  return buildAgentContext(
    [
      ...rows
        .filter((r) => ctx.integrations.get(r.integrationId)?.providerType !== 'mcp')
        .map((r) => ({
          integrationId: r.integrationId,
          accountLabel: r.accountLabel ?? undefined,
        })),
      ...atProviders,
    ],
    { endpointOverrides: ctx.endpointOverrides, integrations: ctx.ordered },
  );
}

/**
 * Creates or replaces the user's connection to an integration with fresh credentials. The row
 * id is fixed first so the secret can be sealed for it (context `connection:<id>`); both writes
 * share a transaction, so no row is ever left with a secret sealed for another id.
 */
export async function saveConnection(
  ctx: ConnectionsContext,
  input: {
    userId: string;
    integrationId: string;
    secret: StoredSecret;
    accountLabel: string | undefined;
    scopes: string[];
    expiresAt: Date | null;
    /** The OAuth client the grant was issued to; absent for keys. */
    oauthClientId?: string;
  },
): Promise<void> {
  const { userId, integrationId } = input;
  await ctx.db.$transaction(async (tx) => {
    const row = await tx.connection.upsert({
      where: { userId_integrationId: { userId, integrationId } },
      create: { id: randomUUID(), userId, integrationId, scopes: [] },
      update: {},
      select: { id: true },
    });
    await tx.connection.update({
      where: { id: row.id },
      data: {
        ...sealConnectionSecret(ctx.keyring, row.id, input.secret),
        status: 'active',
        accountLabel: input.accountLabel ?? null,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        oauthClientId: input.oauthClientId ?? null,
        lastError: null,
      },
    });
  });
}
