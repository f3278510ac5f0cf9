import { z } from 'zod';
import type { ProviderAccount, ProviderAccounts } from '../../integrations/connections/index.js';
import { McpConfigError } from '../errors.js';
import { SessionProvider } from '../session/session-provider.js';
import type { McpEndpoint } from '../session/endpoint.js';
import type { SessionOptions } from '../session/session.js';
import type { McpConnectLink, McpConnectOptions, McpTarget } from '../types.js';
import { requestJson } from './http-json.js';
import { deletePipedreamAccount, listPipedreamAccounts } from './pipedream-accounts.js';
import type { PipedreamConnectApi } from './pipedream-accounts.js';
import { PipedreamTokenCache } from './pipedream-token.js';

export interface PipedreamProviderOptions extends SessionOptions {
  /** OAuth client of the Pipedream workspace (env PIPEDREAM_CLIENT_ID). */
  clientId: string | undefined;
  /** Its secret (env PIPEDREAM_CLIENT_SECRET). */
  clientSecret: string | undefined;
  /** Connect project that stores the users' accounts, `proj_...` (env PIPEDREAM_PROJECT_ID). */
  projectId: string | undefined;
  /** `development` or `production` (env PIPEDREAM_ENVIRONMENT). Default `development`. */
  environment?: 'development' | 'production';
  /** Pipedream's REST API. Default https://api.pipedream.com. */
  apiUrl?: string;
  /** The remote MCP server. Default https://remote.mcp.pipedream.net. */
  mcpUrl?: string;
  /** `x-pd-tool-mode`: `tools-only` exposes full tool schemas. Unset: Pipedream's default. */
  toolMode?: 'sub-agent' | 'tools-only';
  /** Refresh the access token this long before it expires, in milliseconds. Default 5 minutes. */
  tokenRefreshMarginMs?: number;
}

const connectTokenResponse = z.object({
  token: z.string().min(1),
  expires_at: z.string().optional(),
  connect_link_url: z.url(),
});

/**
 * Pipedream Connect: thousands of apps behind one remote MCP server. Dynamiq authenticates as the
 * workspace's OAuth client; the user and app travel as `x-pd-*` headers, and Pipedream holds the
 * user's own account credentials (connected through `connectLink`).
 */
export class PipedreamProvider extends SessionProvider implements ProviderAccounts {
  readonly name = 'pipedream';
  readonly configured: boolean;
  private readonly tokens: PipedreamTokenCache | undefined;
  private readonly apiUrl: string;
  private readonly mcpUrl: string;
  private readonly environment: 'development' | 'production';

  constructor(private readonly options: PipedreamProviderOptions) {
    super(options);
    this.apiUrl = trimSlash(options.apiUrl ?? 'https://api.pipedream.com');
    this.mcpUrl = options.mcpUrl ?? 'https://remote.mcp.pipedream.net';
    this.environment = options.environment ?? 'development';
    this.configured = Boolean(options.clientId && options.clientSecret && options.projectId);
    if (options.clientId && options.clientSecret) {
      this.tokens = new PipedreamTokenCache({
        apiUrl: this.apiUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        refreshMarginMs: options.tokenRefreshMarginMs ?? 5 * 60_000,
      });
    }
  }

  missingConfiguration(): string {
    return 'Pipedream is not configured: set PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID.';
  }

  protected async endpoint(target: McpTarget, fresh: boolean): Promise<McpEndpoint> {
    const tokens = this.tokens!;
    if (fresh) tokens.invalidate();
    const fixed: Record<string, string> = {
      'x-pd-project-id': this.options.projectId!,
      'x-pd-environment': this.environment,
      'x-pd-external-user-id': target.userId,
      'x-pd-app-slug': target.slug,
      ...(this.options.toolMode ? { 'x-pd-tool-mode': this.options.toolMode } : {}),
    };
    return {
      transport: 'http',
      url: this.mcpUrl,
      headers: async () => ({ authorization: `Bearer ${await tokens.get()}`, ...fixed }),
      authHint: 'Check PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID.',
    };
  }

  /** A Connect Link (valid 4 hours, single use) where the user connects their account for the app. */
  async connectLink(target: McpTarget, options: McpConnectOptions = {}): Promise<McpConnectLink> {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    const body = await requestJson(
      `${this.apiUrl}/v1/connect/${encodeURIComponent(this.options.projectId!)}/tokens`,
      connectTokenResponse,
      {
        headers: {
          authorization: `Bearer ${await this.tokens!.get()}`,
          'x-pd-environment': this.environment,
        },
        body: {
          external_user_id: target.userId,
          ...(options.successRedirectUrl
            ? { success_redirect_uri: options.successRedirectUrl }
            : {}),
          ...(options.errorRedirectUrl ? { error_redirect_uri: options.errorRedirectUrl } : {}),
        },
        service: 'Pipedream',
        provider: this.name,
        authHint: 'Check PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID.',
      },
    );
    const url = new URL(body.connect_link_url);
    // Connect Link opens the account flow for one app when the URL names it.
    url.searchParams.set('app', target.slug);
    return { url: url.toString(), expiresAt: body.expires_at };
  }

  /** The user's connected accounts for these apps (Pipedream app slugs), in one listing. */
  async listAccounts(
    userId: string,
    apps: readonly string[],
    options: { timeoutMs?: number } = {},
  ): Promise<ProviderAccount[]> {
    return listPipedreamAccounts(this.connectApi(), userId, apps, options.timeoutMs);
  }

  /** Deletes a connected account (and with it Pipedream's copy of the user's credentials). */
  async deleteAccount(accountId: string): Promise<void> {
    await deletePipedreamAccount(this.connectApi(), accountId);
  }

  private connectApi(): PipedreamConnectApi {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    return {
      apiUrl: this.apiUrl,
      projectId: this.options.projectId!,
      environment: this.environment,
      token: () => this.tokens!.get(),
    };
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
