// The associated data each kind of sealed value is bound to (aead.ts `context`), defined once.
// A ciphertext copied into another row, or into another kind of field, does not open there.
// Changing one makes every value sealed under it unreadable: add a new one instead.

/** `Connection.secret`: a user's OAuth tokens or API keys for one integration. */
export const connectionContext = (connectionId: string) => `connection:${connectionId}`;
/** `OAuthState.codeVerifier`: the PKCE verifier of an authorization in progress. */
export const oauthStateContext = (stateHash: string) => `oauth-state:${stateHash}`;
/** `CloudCredential.secret`: an AWS role's external id or a GCP service-account key. */
export const cloudCredentialContext = (credentialId: string) => `cloud:${credentialId}`;
/** `OAuthClientRegistration.secret`: a client Dynamiq registered at a provider (RFC 7591). */
export const oauthClientContext = (integrationId: string) => `oauth-client:${integrationId}`;
/** `SlackInstallation.secret`: a workspace's bot token and install details (@slack/oauth). */
export const slackInstallationContext = (installationId: string) =>
  `slack-installation:${installationId}`;
/**
 * Temporal payloads (payload-codec.ts) sealed without a workflow to bind them to: those written
 * before payloads were bound, and the rare ones the SDK encodes without a serialization context.
 */
export const TEMPORAL_PAYLOAD_CONTEXT = '';
/** Temporal payloads owned by one workflow (its input, signals, updates, activities' data). */
export const temporalWorkflowPayloadContext = (namespace: string, workflowId: string) =>
  `temporal-payload:${namespace}/${workflowId}`;
