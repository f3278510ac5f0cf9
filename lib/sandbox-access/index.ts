// The sandbox-access contract shared by the worker (mints a token per command, writes the
// sandbox's configuration), the broker and the proxies (verify and check scopes), and the
// helpers inside the sandbox (read the variables and paths named here).

export {
  CLOCK_TOLERANCE_SECONDS,
  DEFAULT_SANDBOX_TOKEN_TTL_SECONDS,
  SANDBOX_TOKEN_AUDIENCE,
  SANDBOX_TOKEN_ISSUER,
  signSandboxToken,
  verifySandboxToken,
} from './sandbox-token.js';
export type {
  SandboxTokenClaims,
  SandboxTokenScopes,
  SandboxTokenSubject,
} from './sandbox-token.js';
export {
  CLOUD_OPERATIONS,
  INTEGRATION_OPERATIONS,
  MCP_OPERATIONS,
  SANDBOX_OPERATIONS,
  credentialNameSchema,
  mintSandboxToken,
} from './scopes.js';
export type {
  CloudGrant,
  CloudProviderName,
  IntegrationOperation,
  MintSandboxTokenInput,
} from './scopes.js';
export {
  AWS_CONFIG_PATH,
  GCP_TOKEN_PATH,
  HELPERS_BIN,
  SANDBOX_ENV,
  SANDBOX_MCP_PATH,
  SHIM_DIR,
  brokerSandboxEnv,
} from './environment.js';
export { SandboxTokenError } from './errors.js';
export type { SandboxTokenErrorCode } from './errors.js';
