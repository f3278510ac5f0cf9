import { bearerToken } from '../lib/http/index.js';
import {
  CLOUD_OPERATIONS,
  SandboxTokenError,
  verifySandboxToken,
} from '../lib/sandbox-access/index.js';
import type { CloudProviderName, SandboxTokenClaims } from '../lib/sandbox-access/index.js';
import { BrokerAuthError, BrokerScopeError } from './errors.js';
import type { BrokerErrorCode } from './errors.js';

const TOKEN_CODES: Record<SandboxTokenError['code'], BrokerErrorCode> = {
  'dynamiq.sandbox_token.expired': 'dynamiq.broker.expired',
  'dynamiq.sandbox_token.invalid_signature': 'dynamiq.broker.invalid_signature',
  'dynamiq.sandbox_token.wrong_audience': 'dynamiq.broker.wrong_audience',
  'dynamiq.sandbox_token.wrong_issuer': 'dynamiq.broker.wrong_issuer',
  'dynamiq.sandbox_token.malformed': 'dynamiq.broker.malformed',
  'dynamiq.sandbox_token.invalid_grant': 'dynamiq.broker.malformed',
};

/** Reads `Authorization: Bearer <sandbox token>` and verifies it; throws `BrokerAuthError`. */
export async function verifyBrokerToken(
  authorization: string | undefined,
  secret: string,
  now?: Date,
): Promise<SandboxTokenClaims> {
  const token = bearerToken(authorization);
  if (!token) {
    throw new BrokerAuthError(
      'dynamiq.broker.missing_token',
      'Send Authorization: Bearer <sandbox token> ($DYNAMIQ_SANDBOX_TOKEN).',
    );
  }
  try {
    return await verifySandboxToken(token, secret, now ? { now } : {});
  } catch (err) {
    if (err instanceof SandboxTokenError) {
      throw new BrokerAuthError(TOKEN_CODES[err.code], err.message, { cause: err });
    }
    throw err;
  }
}

/**
 * Checks that verified claims allow credentials of `provider` (named `name`, when given) and
 * returns the name to use: the requested one, or the one the token pins when it names exactly
 * one credential of that provider. Throws `BrokerScopeError` otherwise.
 */
export function authorizeCloud(
  claims: SandboxTokenClaims,
  provider: CloudProviderName,
  name: string | undefined,
): { name: string | undefined } {
  if (!claims.scopes.operations.includes(CLOUD_OPERATIONS[provider])) {
    throw new BrokerScopeError(
      `This command's token does not allow the operation ${CLOUD_OPERATIONS[provider]}.`,
    );
  }
  const apps = claims.scopes.apps;
  if (apps.includes(provider)) return { name };
  const pinned = apps.filter((a) => a.startsWith(`${provider}:`)).map((a) => a.slice(4));
  if (name !== undefined) {
    if (pinned.includes(name)) return { name };
    throw new BrokerScopeError(
      `This command's token does not allow the ${provider} credential "${name}".`,
    );
  }
  if (pinned.length === 1) return { name: pinned[0] };
  throw new BrokerScopeError(
    pinned.length === 0
      ? `This command's token allows no ${provider} credential.`
      : `This command's token allows several ${provider} credentials; name one (${pinned.join(', ')}).`,
  );
}
