import { FetchCache } from '../lib/cache/index.js';
import { toToolInfo } from './tools.js';
import type { McpToolInfo } from './tools.js';
import type { McpProvider, McpTarget } from './types.js';
import { raceAbort } from './util/abort.js';
import { compileArgumentsCheck } from './validate.js';
import type { ArgumentsCheck } from './validate.js';

export interface ToolList {
  tools: McpToolInfo[];
  byName: Map<string, McpToolInfo>;
  /** The argument check for a tool of this list, compiled on first use. */
  check(tool: string): ArgumentsCheck;
  /** True when this came from the cache rather than from the server just now. */
  cached: boolean;
}

interface Stored {
  tools: McpToolInfo[];
  byName: Map<string, McpToolInfo>;
  checks: Map<string, ArgumentsCheck>;
}

export interface ToolCacheOptions {
  ttlMs: number;
  listTimeoutMs: number;
  /** Entries kept before the least recently used are dropped. Default 2,000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Tool lists per (provider, user, app) with a TTL. Concurrent misses share one request; a
 * tools/list_changed from a server drops that app's lists and refetches the one that changed,
 * and a list fetched while a change arrived is handed out but not kept.
 */
export class ToolCache {
  private readonly cache: FetchCache<Stored>;

  constructor(private readonly options: ToolCacheOptions) {
    this.cache = new FetchCache({
      ttlMs: options.ttlMs,
      max: options.maxEntries ?? 2_000,
      now: options.now,
    });
  }

  async get(
    provider: McpProvider,
    target: McpTarget,
    opts: { signal?: AbortSignal; refresh?: boolean } = {},
  ): Promise<ToolList> {
    const fetched = this.cache.fetch(
      entryKey(provider, target),
      () => this.load(provider, target),
      { fresh: opts.refresh },
    );
    // A caller that gives up stops waiting; the shared request goes on for the others.
    fetched.catch(() => {});
    const { value, source } = await raceAbort(fetched, opts.signal);
    return view(value, source === 'cache');
  }

  /** A server said its tools changed: forget the app's lists and refetch the target's. */
  changed(provider: McpProvider, target: McpTarget): void {
    const hadTarget = this.cache.has(entryKey(provider, target));
    this.cache.deleteWhere(
      (key) => key.startsWith(`${provider.name}\u0000`) && key.endsWith(`\u0000${target.app}`),
    );
    if (hadTarget) void this.get(provider, target).catch(() => {});
  }

  private async load(provider: McpProvider, target: McpTarget): Promise<Stored> {
    const tools = await provider.listTools(target, { timeoutMs: this.options.listTimeoutMs });
    const infos = tools.map((t) => toToolInfo(target.app, t));
    return { tools: infos, byName: new Map(infos.map((t) => [t.name, t])), checks: new Map() };
  }
}

function view(stored: Stored, cached: boolean): ToolList {
  return {
    tools: stored.tools,
    byName: stored.byName,
    cached,
    check(tool) {
      let check = stored.checks.get(tool);
      if (!check) {
        check = compileArgumentsCheck(stored.byName.get(tool)?.inputSchema ?? {});
        stored.checks.set(tool, check);
      }
      return check;
    },
  };
}

const entryKey = (p: McpProvider, t: McpTarget) => `${p.name}\u0000${t.userId}\u0000${t.app}`;
