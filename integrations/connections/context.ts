import { FetchCache } from '../../lib/cache/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import type { Logger } from '../../lib/logging.js';
import { resolveEndpoints } from '../endpoints.js';
import type { EndpointOverrides, ResolvedEndpoints } from '../endpoints.js';
import { catalog } from '../registry.js';
import type { Integration } from '../schema.js';
import type { OAuthClient, OAuthClients } from './clients.js';
import { ConnectionError } from './errors.js';
import type { ClientAuth } from './oauth-client.js';
import type { ProviderAccounts } from './provider-accounts.js';

/** What the connections layer needs from the process; one object, built once at start-up. */
export interface ConnectionsOptions {
  db: Db;
  keyring: Keyring;
  log: Logger;
  /** PUBLIC_URL: the OAuth redirect URI and the portal page users return to are built on it. */
  publicUrl: string;
  /** From oauthClientsFromEnv(env, catalog). */
  oauthClients: OAuthClients;
  /** Same overrides the agent context and the broker use (tests point them at local fakes). */
  endpointOverrides?: EndpointOverrides;
  /** Defaults to the built-in catalog. */
  integrations?: readonly Integration[];
  /** An access token is refreshed when it has less than this left, in ms. Default 60000. */
  refreshBeforeMs?: number;
  /** How long a started OAuth flow may take before its state expires, in ms. Default 10 minutes. */
  stateTtlMs?: number;
  /**
   * Where mcp-type integrations keep the users' accounts (Pipedream, Composio): the MCP
   * providers, wired at start-up. Without one, its integrations show as not connectable.
   */
  providerAccounts?: readonly ProviderAccounts[];
  /** How long a user's accounts at a provider are reused by lists, in ms. Default 30000. */
  providerAccountsTtlMs?: number;
}

type ServiceOnly = 'integrations' | 'providerAccounts' | 'providerAccountsTtlMs';

export interface ConnectionsContext extends Required<Omit<ConnectionsOptions, ServiceOnly>> {
  integrations: ReadonlyMap<string, Integration>;
  /** The integrations in catalog order (list views keep it). */
  ordered: readonly Integration[];
  /** By integration id: the in-process half of the client registration single-flight. */
  registering: FetchCache<OAuthClient>;
}

export function contextOf(options: ConnectionsOptions): ConnectionsContext {
  const ordered = options.integrations ?? catalog;
  return {
    ...options,
    // `??` rather than spread defaults: an explicit `undefined` must not erase a default.
    endpointOverrides: options.endpointOverrides ?? {},
    refreshBeforeMs: options.refreshBeforeMs ?? 60_000,
    stateTtlMs: options.stateTtlMs ?? 10 * 60_000,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    integrations: new Map(ordered.map((i) => [i.id, i])),
    ordered,
    registering: new FetchCache({ ttlMs: 0 }),
  };
}

/** The enabled catalog entry, or a 404 that names the id. */
export function integrationOf(ctx: ConnectionsContext, id: string): Integration {
  const integration = ctx.integrations.get(id);
  if (!integration || !integration.enabled) {
    throw new ConnectionError(
      'dynamiq.connections.unknown_integration',
      `No integration "${id}"; GET /api/integrations lists them.`,
    );
  }
  return integration;
}

export const endpointsOf = (ctx: ConnectionsContext, integration: Integration): ResolvedEndpoints =>
  resolveEndpoints(integration, ctx.endpointOverrides);

/** Where every provider sends the browser back; one URL to register per OAuth application. */
export const redirectUriOf = (ctx: ConnectionsContext) =>
  `${ctx.publicUrl}/api/integrations/oauth/callback`;

// RFC 6749 says servers must accept Basic, but in practice most want client_secret_post
// (Microsoft accepts nothing else); the few that require Basic (Notion, Airtable) say so in the
// catalog. A registered client was registered for one method, which the provider then expects.
export const clientAuthOf = (integration: Integration, client: OAuthClient): ClientAuth =>
  client.tokenAuth ?? integration.oauth?.tokenAuth ?? 'client_secret_post';

export type AuditAction =
  | 'connection.connected'
  | 'connection.connect_failed'
  | 'connection.refreshed'
  | 'connection.refresh_failed'
  | 'connection.disconnected'
  | 'connection.revoke_failed'
  | 'oauth_client.registered'
  | 'oauth_client.registration_failed';

export interface AuditInput {
  userId: string;
  action: AuditAction;
  integrationId: string;
  outcome: 'ok' | 'refused' | 'error';
  /** Non-secret facts only: HTTP status, OAuth error code, expiry, scopes. */
  detail?: Record<string, string | number | boolean | null | string[]>;
}

type AuditWriter = Pick<Db, 'auditEvent'>;

export async function audit(db: AuditWriter, event: AuditInput): Promise<void> {
  await db.auditEvent.create({
    data: {
      userId: event.userId,
      action: event.action,
      target: event.integrationId,
      outcome: event.outcome,
      ...(event.detail ? { detail: event.detail } : {}),
    },
  });
}
