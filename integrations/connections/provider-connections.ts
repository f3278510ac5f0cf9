import type { ConnectedIntegration } from '../agent-context.js';
import type { Integration } from '../schema.js';
import type { ConnectionsContext } from './context.js';
import { audit, integrationOf } from './context.js';
import { ConnectionError } from './errors.js';
import { ProviderAccountsCache } from './provider-accounts.js';
import type { ProviderAccount, ProviderAccounts } from './provider-accounts.js';
import type { IntegrationStatus } from './store.js';

export interface ProviderConnectionsOptions {
  /** How long a user's accounts at a provider are reused, in ms. Default 30000. */
  ttlMs?: number;
  /** How long a status read may take before lists answer without it, in ms. Default 5000. */
  timeoutMs?: number;
  now?: () => number;
}

/** What the provider said about a user, or why it could not be asked. */
export type ProviderRead =
  { ok: true; accounts: ProviderAccount[] } | { ok: false; error: string; configured: boolean };

export interface ProviderConnectLink {
  connectUrl: string;
  expiresAt: string | null;
  provider: string;
}

const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  pipedream: 'Pipedream',
  composio: 'Composio',
};
const displayName = (provider: string) => DISPLAY_NAMES[provider] ?? provider;

/** The provider and app slug of an mcp-type entry; undefined for every other entry. */
export function providerBinding(i: Integration): { provider: string; slug: string } | undefined {
  if (i.providerType !== 'mcp' || !i.mcp || i.mcp.provider === 'direct') return undefined;
  return { provider: i.mcp.provider, slug: i.mcp.appSlug ?? i.id };
}

const sameApp = (slug: string) => (a: ProviderAccount) =>
  a.app.toLowerCase() === slug.toLowerCase();
const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * mcp-type integrations, whose accounts live at Pipedream or Composio rather than in our
 * database: status read from the provider (cached briefly, one request per provider per user),
 * connect through the provider's hosted page, disconnect by deleting the account there.
 */
export class ProviderConnections {
  private readonly byName: ReadonlyMap<string, ProviderAccounts>;
  private readonly cache: ProviderAccountsCache;

  constructor(
    private readonly ctx: ConnectionsContext,
    providers: readonly ProviderAccounts[],
    options: ProviderConnectionsOptions = {},
  ) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
    this.cache = new ProviderAccountsCache({
      ttlMs: options.ttlMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 5_000,
      now: options.now,
    });
  }

  /** True for an enabled mcp-type entry: it connects through its provider, not our OAuth. */
  handles(integrationId: string): boolean {
    const integration = this.ctx.integrations.get(integrationId);
    return Boolean(integration?.enabled && providerBinding(integration));
  }

  /**
   * Reads the user's accounts at every provider that serves one of `integrations` (default:
   * all). Never throws: a provider that is unconfigured or unreachable comes back as an error
   * note, so a list of integrations still answers.
   */
  async read(
    userId: string,
    options: { integrations?: readonly Integration[]; fresh?: boolean } = {},
  ): Promise<Map<string, ProviderRead>> {
    const wanted = new Set(
      (options.integrations ?? this.ctx.ordered).flatMap((i) => {
        const b = i.enabled ? providerBinding(i) : undefined;
        return b ? [b.provider] : [];
      }),
    );
    const entries = await Promise.all(
      [...wanted].map(async (name): Promise<[string, ProviderRead]> => {
        const provider = this.byName.get(name);
        if (!provider?.configured) {
          return [name, { ok: false, configured: false, error: this.setupHint(name, provider) }];
        }
        try {
          const accounts = await this.cache.get(provider, userId, this.slugsOf(name), options);
          return [name, { ok: true, accounts }];
        } catch (err) {
          this.ctx.log.warn({ provider: name, reason: reasonOf(err) }, 'provider accounts unread');
          return [name, { ok: false, error: reasonOf(err), configured: true }];
        }
      }),
    );
    return new Map(entries);
  }

  /** `status` as the provider sees it, for an mcp-type entry; other entries come back as they are. */
  apply(status: IntegrationStatus, reads: ReadonlyMap<string, ProviderRead>): IntegrationStatus {
    const integration = this.ctx.integrations.get(status.id);
    const binding = integration && providerBinding(integration);
    const read = binding && reads.get(binding.provider);
    if (!binding || !read) return status;
    // Our own rows for these entries (from before they moved to a provider) are not used by the
    // agent, so they must not show as connected.
    const base = {
      ...status,
      credentialNames: null,
      accountProvider: binding.provider,
      status: 'not_connected' as const,
      connection: null,
    };
    if (!read.ok) return { ...base, connectable: read.configured, providerError: read.error };
    const mine = read.accounts.filter(sameApp(binding.slug));
    const live = mine.filter((a) => a.state === 'connected');
    const shown = live.length ? live : mine.filter((a) => a.state === 'needs_reconnect');
    if (!shown.length) return { ...base, connectable: true, providerError: null };
    const times = (pick: (a: ProviderAccount) => string | null) =>
      shown
        .map(pick)
        .filter((t): t is string => Boolean(t))
        .sort();
    const labels = [...new Set(shown.map((a) => a.label).filter(Boolean))];
    const errors = [...new Set(shown.map((a) => a.error).filter(Boolean))];
    const now = new Date().toISOString();
    return {
      ...base,
      connectable: true,
      providerError: null,
      status: live.length ? 'connected' : 'needs_reconnect',
      connection: {
        accountLabel: labels.length ? labels.join(', ') : null,
        scopes: [],
        expiresAt: null,
        connectedAt: times((a) => a.createdAt)[0] ?? now,
        updatedAt: times((a) => a.updatedAt).at(-1) ?? now,
        lastError: live.length
          ? null
          : errors.join('; ') ||
            `The account at ${displayName(binding.provider)} needs to be reconnected.`,
        sandboxKeyConsentAt: null,
        needsSandboxConsent: false,
      },
    };
  }

  /** The user's mcp-type integrations with a working account, for the agent context. */
  async connected(userId: string): Promise<ConnectedIntegration[]> {
    const reads = await this.read(userId);
    return this.ctx.ordered.flatMap((i) => {
      const binding = i.enabled ? providerBinding(i) : undefined;
      const read = binding && reads.get(binding.provider);
      if (!binding || !read?.ok) return [];
      return read.accounts
        .filter((a) => a.state === 'connected' && sameApp(binding.slug)(a))
        .map((a) => ({ integrationId: i.id, accountLabel: a.label ?? undefined }));
    });
  }

  /** A hosted page at the provider where the user connects the app; the browser returns to the portal. */
  async connect(userId: string, integrationId: string): Promise<ProviderConnectLink> {
    const integration = integrationOf(this.ctx, integrationId);
    const { provider, slug } = this.bindingOf(integration);
    const accounts = this.require(provider, integration);
    const back = (param: string) => {
      const url = new URL(`${this.ctx.publicUrl}/integrations`);
      url.searchParams.set(param, integrationId);
      return url.toString();
    };
    let link;
    try {
      link = await accounts.connectLink(
        { userId, app: integrationId, slug },
        { successRedirectUrl: back('connected'), errorRedirectUrl: back('connect_failed') },
      );
    } catch (err) {
      throw new ConnectionError(
        'dynamiq.connections.provider_error',
        `${displayName(provider)} could not start connecting ${integration.name}: ${reasonOf(err)}`,
        { cause: err },
      );
    }
    // What is cached predates the connect; the next read must ask the provider.
    this.cache.invalidate(provider, userId);
    return { connectUrl: link.url, expiresAt: link.expiresAt ?? null, provider };
  }

  /**
   * Deletes every account the user has for the app at the provider (and any row of ours left
   * from before the entry moved to a provider). Unlike OAuth revocation this is not best effort:
   * an account left at the provider still works for the agent, so a failure is an error.
   */
  async disconnect(userId: string, integrationId: string): Promise<{ revoked: boolean | null }> {
    const integration = integrationOf(this.ctx, integrationId);
    const { provider, slug } = this.bindingOf(integration);
    const accounts = this.require(provider, integration);
    const failed = async (reason: string, err: unknown): Promise<never> => {
      await audit(this.ctx.db, {
        userId,
        action: 'connection.revoke_failed',
        integrationId,
        outcome: 'error',
        detail: { provider, reason },
      });
      throw new ConnectionError(
        'dynamiq.connections.provider_error',
        `${integration.name} could not be disconnected at ${displayName(provider)}; try again. (${reason})`,
        { cause: err },
      );
    };
    let mine: ProviderAccount[] = [];
    try {
      mine = (await accounts.listAccounts(userId, [slug])).filter(sameApp(slug));
    } catch (err) {
      await failed(reasonOf(err), err);
    }
    const stale = await this.ctx.db.connection.deleteMany({ where: { userId, integrationId } });
    if (!mine.length && !stale.count) {
      throw new ConnectionError(
        'dynamiq.connections.not_connected',
        `${integration.name} is not connected.`,
      );
    }
    try {
      for (const account of mine) await accounts.deleteAccount(account.id);
    } catch (err) {
      await failed(reasonOf(err), err);
    } finally {
      this.cache.invalidate(provider, userId);
    }
    await audit(this.ctx.db, {
      userId,
      action: 'connection.disconnected',
      integrationId,
      outcome: 'ok',
      detail: { provider, accounts: mine.length },
    });
    return { revoked: mine.length ? true : null };
  }

  private slugsOf(provider: string): string[] {
    return this.ctx.ordered.flatMap((i) => {
      const b = i.enabled ? providerBinding(i) : undefined;
      return b?.provider === provider ? [b.slug] : [];
    });
  }

  private bindingOf(integration: Integration) {
    const binding = providerBinding(integration);
    if (!binding) {
      throw new ConnectionError(
        'dynamiq.connections.unsupported',
        `${integration.name} is not connected through an MCP provider.`,
      );
    }
    return binding;
  }

  private require(provider: string, integration: Integration): ProviderAccounts {
    const accounts = this.byName.get(provider);
    if (accounts?.configured) return accounts;
    throw new ConnectionError(
      'dynamiq.connections.provider_not_configured',
      `${integration.name} connects through ${displayName(provider)}. ${this.setupHint(provider, accounts)}`,
    );
  }

  private setupHint(name: string, provider: ProviderAccounts | undefined): string {
    return provider
      ? provider.missingConfiguration()
      : `${displayName(name)} is not available in this process (no MCP registry was wired to the connections).`;
  }
}
