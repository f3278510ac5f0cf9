export { seal, open, keyIdOf, DecryptError } from './aead.js';
export { keyringOf, loadKeyring, masterKey } from './keyring.js';
export type { Keyring, MasterKey } from './keyring.js';
export { EncryptionCodec } from './payload-codec.js';
export {
  cloudCredentialContext,
  connectionContext,
  oauthClientContext,
  oauthStateContext,
  TEMPORAL_PAYLOAD_CONTEXT,
} from './contexts.js';
