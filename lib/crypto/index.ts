export { seal, open, keyIdOf, DecryptError } from './aead.js';
export { keyringOf, loadKeyring, masterKey } from './keyring.js';
export type { Keyring, MasterKey } from './keyring.js';
export { EncryptionCodec, isBoundPayload, payloadKeyId } from './payload-codec.js';
export type { EncryptionCodecOptions } from './payload-codec.js';
export {
  REFUSED_PAYLOAD_KEY,
  REFUSED_PAYLOAD_MARKER,
  isRefusedPayload,
} from './refused-payload.js';
export type { RefusalReason, RefusedPayload } from './refused-payload.js';
export {
  cloudCredentialContext,
  connectionContext,
  oauthClientContext,
  oauthStateContext,
  slackInstallationContext,
  TEMPORAL_PAYLOAD_CONTEXT,
  temporalWorkflowPayloadContext,
} from './contexts.js';
