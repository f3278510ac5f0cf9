/**
 * Why a sandbox token was refused. Callers branch on this, never on the message:
 * - `expired`: past its lifetime (plus the clock tolerance); the sandbox needs a new one.
 * - `invalid_signature`: not signed with our secret (forged, or the secret was rotated).
 * - `wrong_audience`: a Dynamiq token meant for another service.
 * - `wrong_issuer`: signed with our secret but not issued by Dynamiq.
 * - `malformed`: not a JWT, or its claims do not have the sandbox-token shape.
 * - `invalid_grant`: a token was asked for with scopes that do not have the right shape.
 */
export type SandboxTokenErrorCode =
  | 'expired'
  | 'invalid_signature'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'malformed'
  | 'invalid_grant';

/** Thrown when a token must be refused or cannot be minted; `code` says why. */
export class SandboxTokenError extends Error {
  readonly code: SandboxTokenErrorCode;

  constructor(code: SandboxTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxTokenError';
    this.code = code;
  }
}
