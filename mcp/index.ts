// MCP tools for the agent (worker) and the sandbox proxy (api): providers (Pipedream, Composio, vendors' own
// servers, operator commands), sessions, the registry with its tool cache, and LLM tool names.

export {
  McpError,
  McpUnknownAppError,
  McpUnknownToolError,
  McpInvalidArgumentsError,
  McpServerError,
  McpTimeoutError,
  McpCancelledError,
  McpNotConnectedError,
  McpAuthError,
  McpUnavailableError,
  McpConfigError,
} from './errors.js';
export type { McpErrorCode } from './errors.js';

export type {
  McpCallOptions,
  McpConnectLink,
  McpConnectOptions,
  McpProgress,
  McpProvider,
  McpRequestOptions,
  McpTarget,
} from './types.js';

export { McpRegistry } from './registry.js';
export type {
  AppBinding,
  AppInfo,
  McpRegistryOptions,
  ProviderInfo,
  TurnTools,
} from './registry.js';

export { MCP_PROVIDER_NAMES, createMcpRegistry } from './config.js';
export { checkLocalServers, localServerSchema, parseLocalServers } from './local-servers.js';
export type { LocalServerConfig } from './local-servers.js';
export type { McpProviderName, McpRegistryDeps, McpSettings } from './config.js';

export { SessionProvider, DEFAULT_REQUEST_TIMEOUT_MS } from './session/session-provider.js';
export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from './session/session.js';
export type { SessionOptions } from './session/session.js';
export type { HttpEndpoint, McpEndpoint, StdioEndpoint } from './session/endpoint.js';

export { PipedreamProvider } from './providers/pipedream.js';
export type { PipedreamProviderOptions } from './providers/pipedream.js';
export { ComposioProvider } from './providers/composio.js';
export type { ComposioProviderOptions } from './providers/composio.js';
export { DirectProvider } from './providers/direct.js';
export type { DirectProviderOptions, DirectServer, GetAccessToken } from './providers/direct.js';
export { LocalProvider } from './providers/local.js';
export type { LocalProviderOptions } from './providers/local.js';

export { toolHints } from './tools.js';
export type { McpToolAnnotations, McpToolInfo, ToolHints } from './tools.js';
export { LLM_TOOL_NAME, buildLlmToolSet } from './llm-tools.js';
export type { LlmFunctionTool, LlmToolSet } from './llm-tools.js';
export { DEFAULT_MAX_RESULT_CHARS, boundResult } from './result.js';
export type { McpToolResult } from './result.js';

export {
  PROXY_ERRORS,
  PROXY_METHODS,
  ProxyError,
  handleProxyRequest,
  toProxyError,
} from './sandbox-proxy.js';
export type { ProxyScope } from './sandbox-proxy.js';
export { sandboxMcpServer } from './sandbox-mcp-server.js';
export type { SandboxMcpAuditEntry, SandboxMcpServerOptions } from './sandbox-mcp-server.js';
