// A user's connections to catalog integrations: OAuth and key connects, sealed storage, token
// refresh, revocation, and master-key rotation of every stored secret.

export { Connections } from './service.js';
export type { ConnectionsOptions } from './context.js';
export type { ConnectionState, IntegrationStatus } from './store.js';
export type { AccessToken } from './tokens.js';
export type {
  ProviderAccount,
  ProviderAccountState,
  ProviderAccounts,
} from './provider-accounts.js';
export type { ProviderConnectLink } from './provider-connections.js';
export type { UsableCredentials } from './sandbox-access.js';
export { placeCredentials } from './key-check.js';

export { oauthClientsFromEnv, oauthEnvNames, requireOAuthClient } from './clients.js';
export type { OAuthClient, OAuthClients } from './clients.js';

export { CONNECTION_ERRORS, ConnectionError, ReconnectRequiredError } from './errors.js';
export type { ConnectionErrorCode } from './errors.js';
export { TokenRequestError } from './oauth-client.js';
export { RegistrationError } from './oauth-register.js';

export { ROTATION_BATCH, rotateSecrets } from './rotate.js';
export type { RotationFailure, RotationResult } from './rotate.js';
