import { DynamiqError } from '../errors/index.js';

/**
 * Why a sandbox token was refused (`dynamiq.sandbox_token.<reason>`). Callers branch on this, never on the message:
 * - `expired`: past its lifetime (plus the clock tolerance); the sandbox needs a new one.
 * - `invalid_signature`: not signed with our secret (forged, or the secret was rotated).
 * - `wrong_audience`: a Dynamiq token meant for another service.
 * - `wrong_issuer`: signed with our secret but not issued by Dynamiq.
 * - `malformed`: not a JWT, or its claims do not have the sandbox-token shape.
 * - `invalid_grant`: a token was asked for with scopes that do not have the right shape.
 */
export type SandboxTokenErrorCode =
  | 'dynamiq.sandbox_token.expired'
  | 'dynamiq.sandbox_token.invalid_signature'
  | 'dynamiq.sandbox_token.wrong_audience'
  | 'dynamiq.sandbox_token.wrong_issuer'
  | 'dynamiq.sandbox_token.malformed'
  | 'dynamiq.sandbox_token.invalid_grant';

/**
 * Thrown when a token must be refused (401) or cannot be minted (`invalid_grant`, a bug in the
 * caller: 500); `code` says why and `reason` is its last part (`expired`, ...).
 */
export class SandboxTokenError extends DynamiqError {
  override name = 'SandboxTokenError';
  declare readonly code: SandboxTokenErrorCode;

  constructor(code: SandboxTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, {
      status: code === 'dynamiq.sandbox_token.invalid_grant' ? 500 : 401,
      cause: options?.cause,
    });
  }
}
