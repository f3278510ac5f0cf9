// Short-lived tokens a sandbox presents to the credential broker and the MCP proxy in place of
// any real credential.

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
export { SandboxTokenError } from './errors.js';
export type { SandboxTokenErrorCode } from './errors.js';
