// The credential broker: sandbox tokens in, short-lived cloud credentials out, every step audited.

export { CredentialBroker } from './broker.js';
export type { BrokerRequest, CredentialBrokerOptions, IntegrationRequest } from './broker.js';
export { authorizeIntegration } from './integrations.js';
export type { IntegrationCredentialSource, SandboxCliCredentials } from './integrations.js';
export { authorizeCloud, verifyBrokerToken } from './tokens.js';
export { AwsIssuer, roleSessionName } from './aws.js';
export type { AwsIssuerOptions, CredentialProcessOutput } from './aws.js';
export { GOOGLE_TOKEN_URL, GcpIssuer, serviceAccountClient } from './gcp.js';
export type { GcpAccessToken, GcpIssuerOptions } from './gcp.js';
export { CloudCredentialStore } from './store.js';
export { GcpServiceAccountGrants } from './grants.js';
export type { GcpServiceAccountGrantView } from './grants.js';
export type { CloudCredentialView, LoadedAwsCredential, LoadedGcpCredential } from './store.js';
export { AuditLog } from './audit.js';
export type { AuditAction, AuditEventView, AuditOutcome, AuditRecord } from './audit.js';
export { credentialCache } from './cache.js';
export type { Expiring } from './cache.js';
export {
  awsCredentialInput,
  brokerRequestBody,
  gcpCredentialInput,
  serviceAccountEmail,
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
  BrokerAuthError,
  BrokerConnectionError,
  BrokerDisabledError,
  BrokerError,
  BrokerGrantError,
  BrokerInputError,
  BrokerLookupError,
  BrokerScopeError,
  BrokerUpstreamError,
} from './errors.js';
export type { BrokerErrorCode } from './errors.js';
