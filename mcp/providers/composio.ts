import { z } from 'zod';
import { FetchCache } from '../../lib/cache/index.js';
import type { ProviderAccount, ProviderAccounts } from '../../integrations/connections/index.js';
import { McpConfigError } from '../errors.js';
import { SessionProvider } from '../session/session-provider.js';
import type { McpEndpoint } from '../session/endpoint.js';
import type { SessionOptions } from '../session/session.js';
import type { McpConnectLink, McpConnectOptions, McpTarget } from '../types.js';
import { deleteComposioAccount, listComposioAccounts } from './composio-accounts.js';
import { requestJson } from './http-json.js';
import type { JsonRequest } from './http-json.js';

export interface ComposioProviderOptions extends SessionOptions {
  /** Project API key (env COMPOSIO_API_KEY), sent as `x-api-key`. */
  apiKey: string | undefined;
  /** Composio's API. Default https://backend.composio.dev. */
  apiUrl?: string;
  /** Auth config per toolkit, e.g. `{ github: 'ac_123' }`. Default: the toolkit's first enabled one. */
  authConfigs?: Record<string, string>;
  /** MCP server per toolkit when managed in the dashboard. Default: `dynamiq-<toolkit>`, created if missing. */
  serverIds?: Record<string, string>;
  /** Tool slugs a created server exposes, per toolkit. Default: all of the toolkit's tools. */
  allowedTools?: Record<string, string[]>;
}

const list = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item) }).transform((v) => v.items);
const authConfigs = list(z.object({ id: z.string(), status: z.string().optional() }).loose());
const servers = list(z.object({ id: z.string(), name: z.string() }).loose());
const createdServer = z.object({ id: z.string() }).loose();
const generated = z.object({ mcp_url: z.url(), user_ids_url: z.array(z.url()).optional() }).loose();
const link = z.object({ redirect_url: z.url(), expires_at: z.string().optional() }).loose();

/**
 * Composio: one MCP server per toolkit (found by name or created on first use), and a URL per
 * user generated from it, so tools act with that user's connected account.
 */
export class ComposioProvider extends SessionProvider implements ProviderAccounts {
  readonly name = 'composio';
  readonly configured: boolean;
  private readonly apiUrl: string;
  // Kept until the process ends (a failed lookup is not kept, so the next call tries again).
  private readonly servers = new FetchCache<string>({ ttlMs: Infinity });
  private readonly userUrls = new FetchCache<string>({ ttlMs: Infinity, max: 10_000 });

  constructor(private readonly options: ComposioProviderOptions) {
    super(options);
    this.apiUrl = (options.apiUrl ?? 'https://backend.composio.dev').replace(/\/+$/, '');
    this.configured = Boolean(options.apiKey);
  }

  missingConfiguration(): string {
    return 'Composio is not configured: set COMPOSIO_API_KEY.';
  }

  protected async endpoint(target: McpTarget, fresh: boolean): Promise<McpEndpoint> {
    const serverId = await this.serverFor(target.slug);
    const key = `${serverId}\u0000${target.userId}`;
    const url = await this.userUrls.get(
      key,
      async () => {
        const body = await this.api('/api/v3/mcp/servers/generate', generated, {
          body: {
            mcp_server_id: serverId,
            user_ids: [target.userId],
            managed_auth_by_composio: false,
          },
        });
        return body.user_ids_url?.[0] ?? withUser(body.mcp_url, target.userId);
      },
      { fresh },
    );
    const apiKey = this.options.apiKey!;
    return {
      transport: 'http',
      url,
      headers: () => ({ 'x-api-key': apiKey }),
      authHint: 'Check COMPOSIO_API_KEY.',
    };
  }

  /** A hosted Composio page where the user connects their account for the toolkit. */
  async connectLink(target: McpTarget, options: McpConnectOptions = {}): Promise<McpConnectLink> {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    const body = await this.api('/api/v3/connected_accounts/link', link, {
      body: {
        auth_config_id: await this.authConfigFor(target.slug),
        user_id: target.userId,
        ...(options.successRedirectUrl ? { callback_url: options.successRedirectUrl } : {}),
      },
    });
    return { url: body.redirect_url, expiresAt: body.expires_at };
  }

  /** The user's connected accounts for these toolkits, in one listing. */
  async listAccounts(
    userId: string,
    toolkits: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<ProviderAccount[]> {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    return listComposioAccounts(this.call, userId, toolkits, options.timeoutMs);
  }

  /** Deletes a connected account at Composio, which revokes its access there. */
  async deleteAccount(accountId: string): Promise<void> {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    await deleteComposioAccount(this.call, accountId);
  }

  private readonly call = <T>(
    path: string,
    schema: z.ZodType<T>,
    req: Pick<JsonRequest, 'body' | 'method' | 'timeoutMs'>,
  ) => this.api(path, schema, req);

  private serverFor(toolkit: string): Promise<string> {
    const configured = this.options.serverIds?.[toolkit];
    if (configured) return Promise.resolve(configured);
    return this.servers.get(toolkit, async () => {
      const name = `dynamiq-${toolkit.replace(/[^a-zA-Z0-9-]/g, '-')}`.slice(0, 30);
      const query = new URLSearchParams({ name, toolkits: toolkit });
      const found = await this.api(`/api/v3/mcp/servers?${query}`, servers, {});
      const existing = found.find((s) => s.name === name);
      if (existing) return existing.id;
      const allowed = this.options.allowedTools?.[toolkit];
      const created = await this.api('/api/v3/mcp/servers', createdServer, {
        body: {
          name,
          auth_config_ids: [await this.authConfigFor(toolkit)],
          ...(allowed ? { allowed_tools: allowed } : {}),
        },
      });
      return created.id;
    });
  }

  private async authConfigFor(toolkit: string): Promise<string> {
    const configured = this.options.authConfigs?.[toolkit];
    if (configured) return configured;
    const query = new URLSearchParams({ toolkit_slug: toolkit });
    const found = await this.api(`/api/v3/auth_configs?${query}`, authConfigs, {});
    const usable = found.find((c) => c.status === undefined || c.status === 'ENABLED');
    if (!usable) {
      throw new McpConfigError(
        `Composio has no enabled auth config for the "${toolkit}" toolkit: create one in the Composio dashboard (or name it in the Composio options' authConfigs).`,
      );
    }
    return usable.id;
  }

  private api<T>(
    path: string,
    schema: z.ZodType<T>,
    req: Pick<JsonRequest, 'body' | 'method' | 'timeoutMs'>,
  ): Promise<T> {
    return requestJson(`${this.apiUrl}${path}`, schema, {
      ...req,
      headers: { 'x-api-key': this.options.apiKey! },
      service: 'Composio',
      provider: this.name,
      authHint: 'Check COMPOSIO_API_KEY.',
    });
  }
}

function withUser(mcpUrl: string, userId: string): string {
  const url = new URL(mcpUrl);
  url.searchParams.set('user_id', userId);
  return url.toString();
}
