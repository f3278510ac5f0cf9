import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';

/** Who is asking, and for which app. */
export interface McpTarget {
  /** Dynamiq's user id; providers pass it on as their external user id. */
  userId: string;
  /** Dynamiq's app id, e.g. `linear`. */
  app: string;
  /** The provider's name for the app (Pipedream app slug, Composio toolkit slug). */
  slug: string;
}

/** A progress notification from the server for a running call. */
export interface McpProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface McpRequestOptions {
  /** Aborting sends notifications/cancelled to the server and rejects with `McpCancelledError`. */
  signal?: AbortSignal;
  /** How long to wait for an answer, in milliseconds; progress notifications restart the clock. */
  timeoutMs?: number;
}

export interface McpCallOptions extends McpRequestOptions {
  /** Called for every progress notification the server sends for this call. */
  onProgress?: (progress: McpProgress) => void;
  /** Upper bound for the whole call however much progress arrives, in milliseconds. */
  maxTotalTimeoutMs?: number;
}

/** Options for connecting a user's account to an app through the provider's hosted page. */
export interface McpConnectOptions {
  /** Where the provider sends the user's browser after a successful connection. */
  successRedirectUrl?: string;
  /** Where it sends the browser after a failure. */
  errorRedirectUrl?: string;
}

export interface McpConnectLink {
  url: string;
  /** ISO timestamp after which the link stops working, when the provider says. */
  expiresAt: string | undefined;
}

/**
 * One source of MCP tools (Pipedream, Composio, a vendor's own server, an operator's command).
 * Every method works for one user and one app; sessions and credentials are the provider's
 * business, so callers never see a token.
 */
export interface McpProvider {
  /** Stable name used in configuration and in errors, e.g. `pipedream`. */
  readonly name: string;
  /** False when credentials are missing; such a provider is listed but refuses every call. */
  readonly configured: boolean;
  /** Apps this provider serves by name, or undefined when it serves any slug it is given. */
  knownApps(): readonly string[] | undefined;
  /** Every tool of the app's server, all pages followed. */
  listTools(target: McpTarget, options?: McpRequestOptions): Promise<Tool[]>;
  /** Calls one tool; a tool-level failure comes back as a result with `isError: true`. */
  callTool(
    target: McpTarget,
    name: string,
    args: Record<string, unknown>,
    options?: McpCallOptions,
  ): Promise<CallToolResult>;
  /** Subscribes to notifications/tools/list_changed from any session; returns an unsubscribe. */
  onToolsChanged(listener: (target: McpTarget) => void): () => void;
  /** A hosted page where the user connects their account for the app, when the provider has one. */
  connectLink?(target: McpTarget, options?: McpConnectOptions): Promise<McpConnectLink>;
  /** Closes every session (and ends every server process this provider started). */
  close(): Promise<void>;
}
