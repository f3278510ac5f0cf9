// The credential broker: sandbox tokens in, short-lived cloud credentials out, every step audited.

export { CredentialBroker } from './broker.js';
export type { BrokerRequest, CredentialBrokerOptions, IntegrationRequest } from './broker.js';
export { INTEGRATION_OPERATIONS, authorizeIntegration } from './integrations.js';
export type {
  IntegrationCredentialSource,
  IntegrationOperation,
  SandboxCliCredentials,
} from './integrations.js';
export { CLOUD_OPERATIONS, authorizeCloud, mintSandboxToken, verifyBrokerToken } from './tokens.js';
export type { CloudGrant, CloudProviderName, MintSandboxTokenInput } from './tokens.js';
export { AwsIssuer, roleSessionName } from './aws.js';
export type { AwsIssuerOptions, CredentialProcessOutput } from './aws.js';
export { GOOGLE_TOKEN_URL, GcpIssuer, serviceAccountClient } from './gcp.js';
export type { GcpAccessToken, GcpIssuerOptions } from './gcp.js';
export { CloudCredentialStore } from './store.js';
export type { CloudCredentialView, LoadedAwsCredential, LoadedGcpCredential } from './store.js';
export { AuditLog } from './audit.js';
export type { AuditAction, AuditEventView, AuditOutcome, AuditRecord } from './audit.js';
export { CredentialCache } from './cache.js';
export type { CacheResult, Expiring } from './cache.js';
export {
  awsCredentialInput,
  brokerRequestBody,
  credentialNameSchema,
  gcpCredentialInput,
  serviceAccountKeySchema,
} from './schemas.js';
export type {
  AwsConfig,
  AwsCredentialInput,
  GcpConfig,
  GcpCredentialInput,
  ServiceAccountKey,
} from './schemas.js';
export {
  AWS_CONFIG_PATH,
  GCP_TOKEN_PATH,
  HELPERS_BIN,
  SHIM_DIR,
  awsConfigFile,
  brokerSandboxEnv,
  cliShims,
  configureSandboxCliShims,
  configureSandboxClouds,
  withCliShims,
  withGcpToken,
} from './sandbox-setup.js';
export type { SandboxCloudSetup } from './sandbox-setup.js';
export {
  BrokerAuthError,
  BrokerConnectionError,
  BrokerDisabledError,
  BrokerError,
  BrokerInputError,
  BrokerLookupError,
  BrokerScopeError,
  BrokerUpstreamError,
} from './errors.js';
export type { BrokerErrorCode } from './errors.js';
