import { z } from 'zod';
import {
  SandboxTokenError,
  signSandboxToken,
  verifySandboxToken,
} from '../lib/sandbox-token/index.js';
import type { SandboxTokenClaims } from '../lib/sandbox-token/index.js';
import { BrokerAuthError, BrokerInputError, BrokerScopeError } from './errors.js';
import type { BrokerErrorCode } from './errors.js';

export type CloudProviderName = 'aws' | 'gcp';

/** The operation a token must carry to trade itself for credentials of `provider`. */
export const CLOUD_OPERATIONS = {
  aws: 'aws:credentials',
  gcp: 'gcp:credentials',
} as const satisfies Record<CloudProviderName, string>;

/** One cloud a command may reach: every stored credential of the provider, or one by name. */
export interface CloudGrant {
  provider: CloudProviderName;
  /** The stored credential's name; omitted means any of the user's credentials of `provider`. */
  name?: string;
}

export interface MintSandboxTokenInput {
  userId: string;
  conversationId: string;
  sandboxId: string;
  /** Clouds the command may get credentials for. */
  clouds?: CloudGrant[];
  /** Integrations (MCP apps) the command may use; passed through as scopes.apps. */
  apps?: string[];
  /** Further operations, e.g. `mcp:call`. */
  operations?: string[];
}

const credentialName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (at most 63)');
const grant = z.strictObject({ provider: z.enum(['aws', 'gcp']), name: credentialName.optional() });
const mintInput = z.object({
  userId: z.string().min(1),
  conversationId: z.string().min(1),
  sandboxId: z.string().min(1),
  clouds: z.array(grant).max(50).default([]),
  apps: z.array(z.string().min(1).max(256)).max(150).default([]),
  operations: z.array(z.string().min(1).max(256)).max(40).default([]),
});

/**
 * Signs the token for one command: who runs it (user, conversation, sandbox) and what it may
 * reach. A cloud grant becomes the app `aws` or `aws:<name>` plus the operation
 * `aws:credentials`, so the MCP proxy and the broker read one scope format.
 * `secret` is JWT_SECRET; the default lifetime is five minutes.
 */
export async function mintSandboxToken(
  input: MintSandboxTokenInput,
  secret: string,
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const parsed = mintInput.safeParse(input);
  if (!parsed.success) {
    throw new BrokerInputError(
      'dynamiq.broker.invalid_input',
      `Cannot mint a sandbox token: ${z.prettifyError(parsed.error)}`,
    );
  }
  const { clouds, apps, operations, ...subject } = parsed.data;
  const cloudApps = clouds.map((c) => (c.name ? `${c.provider}:${c.name}` : c.provider));
  const cloudOps = clouds.map((c) => CLOUD_OPERATIONS[c.provider]);
  return signSandboxToken(
    {
      ...subject,
      scopes: {
        apps: [...new Set([...apps, ...cloudApps])],
        operations: [...new Set([...operations, ...cloudOps])],
      },
    },
    secret,
    options,
  );
}

const TOKEN_CODES: Record<SandboxTokenError['code'], BrokerErrorCode> = {
  expired: 'dynamiq.broker.expired',
  invalid_signature: 'dynamiq.broker.invalid_signature',
  wrong_audience: 'dynamiq.broker.wrong_audience',
  wrong_issuer: 'dynamiq.broker.wrong_issuer',
  malformed: 'dynamiq.broker.malformed',
};

/** Reads `Authorization: Bearer <sandbox token>` and verifies it; throws `BrokerAuthError`. */
export async function verifyBrokerToken(
  authorization: string | undefined,
  secret: string,
  now?: Date,
): Promise<SandboxTokenClaims> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
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
