// The integration catalog: what Dynamiq can connect to, how each service is reached from the
// sandbox, and what the agent is told about the ones a user has connected.

export { catalog, catalogEntries, getIntegration, listIntegrations } from './registry.js';
export type { IntegrationFilter } from './registry.js';

export { CatalogError, loadCatalog } from './load.js';

export {
  AUTH_TYPES,
  CATEGORIES,
  CATEGORY_LABELS,
  MCP_PROVIDERS,
  PROVIDER_TYPES,
  integrationSchema,
} from './schema.js';
export type {
  AuthType,
  Category,
  Integration,
  IntegrationInput,
  KeyCheck,
  KeyPlacement,
  McpProvider,
  OAuthEndpoints,
  ProviderType,
} from './schema.js';

export {
  ENDPOINT_FIELDS,
  EndpointOverrideError,
  checkEndpointOverrides,
  resolveEndpoints,
} from './endpoints.js';
export type {
  EndpointField,
  EndpointOverride,
  EndpointOverrides,
  ResolvedEndpoints,
} from './endpoints.js';

export { buildAgentContext } from './agent-context.js';
export type { AgentContextOptions, ConnectedIntegration } from './agent-context.js';

export { cliEnvironment, hasCliCredentials } from './cli-env.js';
export type { CliEnvironment } from './cli-env.js';
