import type { ConnectionsContext, ConnectionsOptions } from './context.js';
import { contextOf } from './context.js';
import { connectWithKeys, disconnect } from './manage.js';
import { completeOAuth, startOAuth } from './oauth-flow.js';
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

  constructor(options: ConnectionsOptions) {
    this.ctx = contextOf(options);
    this.tokens = new TokenIssuer(this.ctx);
  }

  /** PUBLIC_URL without a trailing slash (where the callback returns the browser to). */
  get publicUrl(): string {
    return this.ctx.publicUrl;
  }

  /** Every enabled catalog entry with the user's status; never a secret. */
  list(userId: string): Promise<IntegrationStatus[]> {
    return listStatuses(this.ctx, userId);
  }

  get(userId: string, integrationId: string): Promise<IntegrationStatus> {
    return getStatus(this.ctx, userId, integrationId);
  }

  /** The agent's system-prompt section for the user's active connections. */
  agentContext(userId: string, opts: { apiProxyUrl?: string } = {}): Promise<string> {
    return agentContextFor(this.ctx, userId, opts.apiProxyUrl);
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

  /** Revokes at the provider (best effort) and deletes the connection and its secret. */
  disconnect(userId: string, integrationId: string) {
    return disconnect(this.ctx, userId, integrationId);
  }

  /** A usable access token, refreshed shortly before expiry; see TokenIssuer. */
  getAccessToken(userId: string, integrationId: string): Promise<AccessToken> {
    return this.tokens.getAccessToken(userId, integrationId);
  }
}
