import type { ProviderAccounts } from '../integrations/connections/index.js';
import {
  McpConfigError,
  McpError,
  McpInvalidArgumentsError,
  McpUnknownAppError,
  McpUnknownToolError,
} from './errors.js';
import { buildLlmToolSet } from './llm-tools.js';
import type { LlmToolSet } from './llm-tools.js';
import { DEFAULT_MAX_RESULT_CHARS, boundResult } from './result.js';
import type { McpToolResult } from './result.js';
import { ToolCache } from './tool-cache.js';
import type { McpToolInfo } from './tools.js';
import type {
  McpCallOptions,
  McpConnectLink,
  McpConnectOptions,
  McpProvider,
  McpTarget,
} from './types.js';

/** Which provider serves an app, and under what name. */
export interface AppBinding {
  provider: string;
  /** The provider's name for the app (Pipedream app slug, Composio toolkit). Default: the app id. */
  slug?: string;
}

export interface McpRegistryOptions {
  providers: McpProvider[];
  /** Serves any app that no binding and no provider claims by name. */
  defaultProvider?: string;
  /** Explicit app bindings, e.g. from the integration catalog. */
  apps?: Record<string, AppBinding>;
  /** How long a tool list is reused, in milliseconds. Default 5 minutes. */
  toolCacheTtlMs?: number;
  /** Wait for a tool call without progress, in milliseconds. Default 60 s. */
  callTimeoutMs?: number;
  /** Wait for a tool list, in milliseconds. Default 30 s. */
  listTimeoutMs?: number;
  /** Largest tool result kept, in characters. Default 50,000. */
  maxResultChars?: number;
  now?: () => number;
}

export interface ProviderInfo {
  name: string;
  configured: boolean;
  default: boolean;
}

export interface AppInfo {
  id: string;
  provider: string;
  slug: string;
  configured: boolean;
}

/** The LLM's tool set for a turn, and the apps whose tools could not be listed. */
export interface TurnTools extends LlmToolSet {
  unavailable: Array<{ app: string; error: McpError }>;
}

/**
 * Every MCP provider behind one door: resolves apps to providers, caches tool lists (refreshed
 * on notifications/tools/list_changed), checks arguments before sending, bounds results.
 */
export class McpRegistry {
  private readonly byName = new Map<string, McpProvider>();
  private readonly cache: ToolCache;
  private readonly unsubscribe: Array<() => void> = [];
  readonly defaultProvider: string | undefined;

  constructor(private readonly options: McpRegistryOptions) {
    for (const provider of options.providers) {
      if (this.byName.has(provider.name)) {
        throw new McpConfigError(`Two MCP providers are named ${provider.name}.`);
      }
      this.byName.set(provider.name, provider);
    }
    const names = [...this.byName.keys()].join(', ') || 'none';
    if (options.defaultProvider && !this.byName.has(options.defaultProvider)) {
      throw new McpConfigError(
        `MCP_DEFAULT_PROVIDER is ${options.defaultProvider}, which is not a registered provider (${names}).`,
      );
    }
    for (const [app, binding] of Object.entries(options.apps ?? {})) {
      if (!this.byName.has(binding.provider)) {
        throw new McpConfigError(
          `App ${app} is bound to the unknown MCP provider ${binding.provider} (${names}).`,
        );
      }
    }
    this.defaultProvider = options.defaultProvider;
    this.cache = new ToolCache({
      ttlMs: options.toolCacheTtlMs ?? 5 * 60_000,
      listTimeoutMs: options.listTimeoutMs ?? 30_000,
      now: options.now,
    });
    for (const provider of this.byName.values()) {
      this.unsubscribe.push(
        provider.onToolsChanged((target) => this.cache.changed(provider, target)),
      );
    }
  }

  providers(): ProviderInfo[] {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      configured: p.configured,
      default: p.name === this.defaultProvider,
    }));
  }

  /** Apps known by name: bound ones and those a provider serves itself (local, direct). */
  apps(): AppInfo[] {
    const apps = new Map<string, AppInfo>();
    for (const provider of this.byName.values()) {
      for (const id of provider.knownApps() ?? []) {
        apps.set(id, { id, provider: provider.name, slug: id, configured: provider.configured });
      }
    }
    for (const [id, binding] of Object.entries(this.options.apps ?? {})) {
      const provider = this.byName.get(binding.provider)!;
      apps.set(id, {
        id,
        provider: provider.name,
        slug: binding.slug ?? id,
        configured: provider.configured,
      });
    }
    return [...apps.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The provider and target for an app; throws `McpUnknownAppError` when none serves it. */
  resolve(userId: string, app: string): { provider: McpProvider; target: McpTarget } {
    const binding = this.options.apps?.[app];
    if (binding) {
      const provider = this.byName.get(binding.provider)!;
      return { provider, target: { userId, app, slug: binding.slug ?? app } };
    }
    for (const provider of this.byName.values()) {
      if (provider.knownApps()?.includes(app))
        return { provider, target: { userId, app, slug: app } };
    }
    const fallback = this.defaultProvider && this.byName.get(this.defaultProvider);
    if (fallback) return { provider: fallback, target: { userId, app, slug: app } };
    throw new McpUnknownAppError(
      app,
      this.apps().map((a) => a.id),
    );
  }

  /** The app's tools for a user, from the cache while it is fresh. */
  async listTools(
    userId: string,
    app: string,
    options: { signal?: AbortSignal; refresh?: boolean } = {},
  ): Promise<McpToolInfo[]> {
    const { provider, target } = this.resolve(userId, app);
    return (await this.cache.get(provider, target, options)).tools;
  }

  /** Function tools for the LLM from several apps; an app that fails is reported, not fatal. */
  async llmTools(
    userId: string,
    apps: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<TurnTools> {
    const unavailable: TurnTools['unavailable'] = [];
    const lists = await Promise.all(
      apps.map((app) =>
        this.listTools(userId, app, options).catch((err: unknown) => {
          if (!(err instanceof McpError)) throw err;
          unavailable.push({ app, error: err });
          return [];
        }),
      ),
    );
    return { ...buildLlmToolSet(lists.flat()), unavailable };
  }

  /**
   * Calls a tool after checking the arguments against its input schema (nothing is sent when they
   * do not match). A tool-level failure is a result with `isError`; everything else throws an
   * `McpError` with a stable `code`.
   */
  async callTool(
    userId: string,
    app: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    options: McpCallOptions & { maxResultChars?: number } = {},
  ): Promise<McpToolResult> {
    const { provider, target } = this.resolve(userId, app);
    let entry = await this.cache.get(provider, target, { signal: options.signal });
    // A tool added since the list was cached (and no list_changed seen) gets one fresh look.
    if (!entry.byName.has(tool) && entry.cached) {
      entry = await this.cache.get(provider, target, { signal: options.signal, refresh: true });
    }
    const found = entry.byName.get(tool);
    if (!found)
      throw new McpUnknownToolError(
        app,
        tool,
        entry.tools.map((t) => t.name),
      );
    const input = args ?? {};
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new McpInvalidArgumentsError(app, tool, 'arguments must be a JSON object');
    }
    const problem = entry.check(tool)(input);
    if (problem) throw new McpInvalidArgumentsError(app, tool, problem);
    const result = await provider.callTool(target, tool, input, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.options.callTimeoutMs ?? 60_000,
    });
    return boundResult(
      app,
      tool,
      result,
      options.maxResultChars ?? this.options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
    );
  }

  /**
   * What is wrong with arguments for a tool, checked against its input schema without calling
   * it; undefined when they are fine. Throws `McpUnknownToolError` for a tool the app lacks.
   */
  async checkArguments(
    userId: string,
    app: string,
    tool: string,
    args: unknown,
    options: { signal?: AbortSignal } = {},
  ): Promise<string | undefined> {
    const { provider, target } = this.resolve(userId, app);
    const entry = await this.cache.get(provider, target, options);
    if (!entry.byName.has(tool)) {
      throw new McpUnknownToolError(
        app,
        tool,
        entry.tools.map((t) => t.name),
      );
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      return 'arguments must be a JSON object';
    }
    return entry.check(tool)(args as Record<string, unknown>);
  }

  /** Calls the tool behind a function name the LLM chose; `args` may be the LLM's JSON text. */
  async callLlmTool(
    userId: string,
    tools: LlmToolSet,
    functionName: string,
    args: string | Record<string, unknown> | undefined,
    options: McpCallOptions & { maxResultChars?: number } = {},
  ): Promise<McpToolResult> {
    const tool = tools.resolve(functionName);
    if (!tool)
      throw new McpUnknownToolError(
        '(llm)',
        functionName,
        tools.tools.map((t) => t.function.name),
      );
    let parsed: unknown = args;
    if (typeof args === 'string') {
      try {
        parsed = args.trim() === '' ? {} : JSON.parse(args);
      } catch {
        throw new McpInvalidArgumentsError(tool.app, tool.name, 'arguments are not valid JSON');
      }
    }
    return this.callTool(userId, tool.app, tool.name, parsed as Record<string, unknown>, options);
  }

  /** Where the user connects their account for an app, if its provider has a hosted flow. */
  async connectLink(
    userId: string,
    app: string,
    options?: McpConnectOptions,
  ): Promise<McpConnectLink | undefined> {
    const { provider, target } = this.resolve(userId, app);
    return provider.connectLink ? provider.connectLink(target, options) : undefined;
  }

  /**
   * The providers that keep users' accounts themselves (Pipedream, Composio), for the
   * connections layer to read statuses, connect and disconnect mcp-type integrations.
   */
  accountProviders(): ProviderAccounts[] {
    return [...this.byName.values()].filter(holdsAccounts);
  }

  /** Closes every session of every provider. */
  async close(): Promise<void> {
    this.unsubscribe.forEach((off) => off());
    await Promise.all([...this.byName.values()].map((p) => p.close()));
  }
}

function holdsAccounts(p: McpProvider): p is McpProvider & ProviderAccounts {
  const candidate = p as Partial<ProviderAccounts>;
  return (
    typeof candidate.listAccounts === 'function' &&
    typeof candidate.deleteAccount === 'function' &&
    typeof candidate.missingConfiguration === 'function' &&
    typeof p.connectLink === 'function'
  );
}
