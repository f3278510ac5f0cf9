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
  expiresAt: number;
}

export interface ToolCacheOptions {
  ttlMs: number;
  listTimeoutMs: number;
  /** Entries kept before expired and then oldest ones are dropped. Default 2,000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Tool lists per (provider, user, app) with a TTL. Concurrent misses share one request; a
 * tools/list_changed from a server drops that app's lists and refetches the one that changed,
 * and a list fetched while a change arrived is handed out but not kept.
 */
export class ToolCache {
  private readonly entries = new Map<string, Stored>();
  private readonly pending = new Map<string, Promise<Stored>>();
  private readonly versions = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ToolCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(
    provider: McpProvider,
    target: McpTarget,
    opts: { signal?: AbortSignal; refresh?: boolean } = {},
  ): Promise<ToolList> {
    const key = entryKey(provider, target);
    const stored = this.entries.get(key);
    if (stored && !opts.refresh && stored.expiresAt > this.now()) return view(stored, true);
    let pending = this.pending.get(key);
    if (!pending || opts.refresh) {
      pending = this.load(provider, target, key);
      const mine = pending;
      this.pending.set(key, mine);
      void mine
        .catch(() => {})
        .finally(() => this.pending.get(key) === mine && this.pending.delete(key));
    }
    return view(await raceAbort(pending, opts.signal), false);
  }

  /** A server said its tools changed: forget the app's lists and refetch the target's. */
  changed(provider: McpProvider, target: McpTarget): void {
    const app = appKey(provider, target);
    this.versions.set(app, (this.versions.get(app) ?? 0) + 1);
    const hadTarget = this.entries.has(entryKey(provider, target));
    for (const key of this.entries.keys()) {
      if (key.startsWith(`${provider.name}\u0000`) && key.endsWith(`\u0000${target.app}`)) {
        this.entries.delete(key);
      }
    }
    if (hadTarget) void this.get(provider, target, { refresh: true }).catch(() => {});
  }

  private async load(provider: McpProvider, target: McpTarget, key: string): Promise<Stored> {
    const version = this.versions.get(appKey(provider, target)) ?? 0;
    const tools = await provider.listTools(target, { timeoutMs: this.options.listTimeoutMs });
    const infos = tools.map((t) => toToolInfo(target.app, t));
    const stored: Stored = {
      tools: infos,
      byName: new Map(infos.map((t) => [t.name, t])),
      checks: new Map(),
      expiresAt: this.now() + this.options.ttlMs,
    };
    if ((this.versions.get(appKey(provider, target)) ?? 0) === version) {
      this.entries.set(key, stored);
      this.evict();
    }
    return stored;
  }

  private evict(): void {
    const max = this.options.maxEntries ?? 2_000;
    if (this.entries.size <= max) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Maps iterate in insertion order, so the first keys are the oldest.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(key);
    }
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
const appKey = (p: McpProvider, t: McpTarget) => `${p.name}\u0000${t.app}`;
