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
/** Temporal payloads (payload-codec.ts): not bound to a row, so none. */
export const TEMPORAL_PAYLOAD_CONTEXT = '';
