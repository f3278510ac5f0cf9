import type { ConnectionsContext, ConnectionsOptions } from './context.js';
import { contextOf } from './context.js';
import { connectWithKeys, disconnect } from './manage.js';
import { completeOAuth, startOAuth } from './oauth-flow.js';
import { ProviderConnections } from './provider-connections.js';
import type { ProviderConnectLink } from './provider-connections.js';
import { setSandboxKeyConsent, usableCredentials } from './sandbox-access.js';
import type { UsableCredentials } from './sandbox-access.js';
import { agentContextFor, getStatus, listStatuses } from './store.js';
import type { IntegrationStatus } from './store.js';
import { TokenIssuer } from './tokens.js';
import type { AccessToken } from './tokens.js';

/**
 * A user's connections to catalog integrations: connect (OAuth or keys), show, hand out tokens,
 * disconnect. One instance per process: it holds the in-process half of the refresh
 * single-flight. Every method throws `ConnectionError` (stable `code`, HTTP `status`) for
 * anything the caller or user can act on.
 */
export class Connections {
  private readonly ctx: ConnectionsContext;
  private readonly tokens: TokenIssuer;
  private readonly providers: ProviderConnections;

  constructor(options: ConnectionsOptions) {
    this.ctx = contextOf(options);
    this.tokens = new TokenIssuer(this.ctx);
    this.providers = new ProviderConnections(this.ctx, options.providerAccounts ?? [], {
      ttlMs: options.providerAccountsTtlMs,
    });
  }

  /** PUBLIC_URL without a trailing slash (where the callback returns the browser to). */
  get publicUrl(): string {
    return this.ctx.publicUrl;
  }

  /**
   * Every enabled catalog entry with the user's status; never a secret. mcp-type entries show
   * their provider's view, read once per provider and reused briefly unless `fresh`.
   */
  async list(userId: string, opts: { fresh?: boolean } = {}): Promise<IntegrationStatus[]> {
    const [statuses, reads] = await Promise.all([
      listStatuses(this.ctx, userId),
      this.providers.read(userId, opts),
    ]);
    return statuses.map((s) => this.providers.apply(s, reads));
  }

  async get(
    userId: string,
    integrationId: string,
    opts: { fresh?: boolean } = {},
  ): Promise<IntegrationStatus> {
    const integration = this.ctx.integrations.get(integrationId);
    const [status, reads] = await Promise.all([
      getStatus(this.ctx, userId, integrationId),
      this.providers.read(userId, { ...opts, integrations: integration ? [integration] : [] }),
    ]);
    return this.providers.apply(status, reads);
  }

  /**
   * Integrations the user has working connections to: our own rows (keys, OAuth) except
   * mcp-type entries, whose connections live at their provider and are read from there.
   */
  async connectedIntegrations(userId: string): Promise<string[]> {
    const [rows, atProviders] = await Promise.all([
      this.ctx.db.connection.findMany({
        where: { userId, status: 'active' },
        select: { integrationId: true },
      }),
      this.providers.connected(userId),
    ]);
    const ids = new Set(
      rows
        .filter((r) => this.ctx.integrations.get(r.integrationId)?.providerType !== 'mcp')
        .map((r) => r.integrationId),
    );
    for (const c of atProviders) ids.add(c.integrationId);
    return [...ids].sort();
  }

  /** The agent's system-prompt section for the user's active connections. */
  async agentContext(userId: string): Promise<string> {
    const atProviders = await this.providers.connected(userId);
    return agentContextFor(this.ctx, userId, atProviders);
  }

  /** True for mcp-type entries: they connect at their provider (`startProviderConnect`). */
  connectsThroughProvider(integrationId: string): boolean {
    return this.providers.handles(integrationId);
  }

  /** The provider's hosted connect page for an mcp-type entry; it returns the browser to the portal. */
  startProviderConnect(userId: string, integrationId: string): Promise<ProviderConnectLink> {
    return this.providers.connect(userId, integrationId);
  }

  /** Begins an OAuth authorization-code flow with PKCE; send the browser to `authorizeUrl`. */
  startOAuth(userId: string, integrationId: string) {
    return startOAuth(this.ctx, userId, integrationId);
  }

  /** Finishes the flow from the provider's redirect and stores the sealed tokens. */
  completeOAuth(input: {
    state: string;
    code?: string;
    error?: string;
    iss?: string;
    integration?: string;
    expectedUserId?: string;
  }) {
    return completeOAuth(this.ctx, input);
  }

  /** Checks (where the catalog says how) and stores an api_key or token integration's keys. */
  connectWithKeys(
    userId: string,
    integrationId: string,
    input: { credentials: Readonly<Record<string, string>>; accountLabel?: string },
  ) {
    return connectWithKeys(this.ctx, userId, integrationId, input);
  }

  /**
   * Revokes at the provider (best effort) and deletes the connection and its secret; for
   * mcp-type entries, deletes the user's accounts at the provider.
   */
  disconnect(userId: string, integrationId: string) {
    if (this.providers.handles(integrationId)) {
      return this.providers.disconnect(userId, integrationId);
    }
    return disconnect(this.ctx, userId, integrationId);
  }

  /**
   * Every credential of a connection, opened for the broker: the API proxy adds them upstream,
   * the CLI endpoint hands them to a sandbox helper. Never for an API response.
   */
  usableCredentials(userId: string, integrationId: string): Promise<UsableCredentials> {
    return usableCredentials(this.ctx, this.tokens, userId, integrationId);
  }

  /** Allows (or withdraws) a long-lived key's use inside sandbox commands; see the catalog. */
  setSandboxKeyConsent(userId: string, integrationId: string, allow: boolean) {
    return setSandboxKeyConsent(this.ctx, userId, integrationId, allow);
  }

  /** A usable access token, refreshed shortly before expiry; see TokenIssuer. */
  getAccessToken(userId: string, integrationId: string): Promise<AccessToken> {
    return this.tokens.getAccessToken(userId, integrationId);
  }
}
