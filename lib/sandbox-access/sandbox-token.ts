import { randomUUID } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { SandboxTokenError } from './errors.js';

/** Who accepts sandbox tokens: the credential broker and the MCP proxy. */
export const SANDBOX_TOKEN_AUDIENCE = 'dynamiq-broker';
export const SANDBOX_TOKEN_ISSUER = 'dynamiq';
/** Default lifetime, in seconds: long enough for one command, short enough to be useless if leaked. */
export const DEFAULT_SANDBOX_TOKEN_TTL_SECONDS = 300;
/** Allowed clock difference between signer and verifier, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_TTL_SECONDS = 24 * 3600;
const MIN_SECRET_BYTES = 32;
const ALGORITHM = 'HS256';

/** What a sandbox may reach with the token. */
export interface SandboxTokenScopes {
  /** App ids, e.g. `['linear', 'sentry']`. */
  apps: string[];
  /** Operations, e.g. `mcp:list`, `mcp:call`, or the credential broker's own. */
  operations: string[];
}

export interface SandboxTokenSubject {
  userId: string;
  conversationId: string;
  sandboxId: string;
  scopes: SandboxTokenScopes;
}

/** A verified token's contents. */
export interface SandboxTokenClaims extends SandboxTokenSubject {
  /** Unique id of this token, for audit logs and revocation lists. */
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

const id = z.string().min(1).max(256);
const scopes = z.strictObject({ apps: z.array(id).max(200), operations: z.array(id).max(50) });
const subject = z.object({ userId: id, conversationId: id, sandboxId: id, scopes });
const payload = z.object({
  sub: id,
  jti: id,
  iat: z.number(),
  exp: z.number(),
  conversation_id: id,
  sandbox_id: id,
  scopes,
});

/**
 * Signs a short-lived HS256 token a sandbox presents to the broker or the MCP proxy instead of
 * any real credential. `secret` is JWT_SECRET (at least 32 bytes).
 */
export async function signSandboxToken(
  claims: SandboxTokenSubject,
  secret: string,
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const parsed = subject.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(`Sandbox token claim ${issue.path.join('.')} ${issue.message}`);
  }
  const ttl = options.ttlSeconds ?? DEFAULT_SANDBOX_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
    throw new RangeError(
      `ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}, not ${ttl}.`,
    );
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const { userId, conversationId, sandboxId, scopes } = parsed.data;
  return new SignJWT({ conversation_id: conversationId, sandbox_id: sandboxId, scopes })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(SANDBOX_TOKEN_ISSUER)
    .setAudience(SANDBOX_TOKEN_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(await key(secret));
}

/**
 * Checks signature, algorithm, audience, issuer, lifetime and shape; returns the claims or
 * throws a `SandboxTokenError` whose `code` says why the token was refused.
 */
export async function verifySandboxToken(
  token: string,
  secret: string,
  options: { now?: Date } = {},
): Promise<SandboxTokenClaims> {
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(token, await key(secret), {
      algorithms: [ALGORITHM],
      audience: SANDBOX_TOKEN_AUDIENCE,
      issuer: SANDBOX_TOKEN_ISSUER,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      currentDate: options.now,
    });
  } catch (err) {
    throw refusal(err);
  }
  const parsed = payload.safeParse(verified.payload);
  if (!parsed.success) {
    throw new SandboxTokenError(
      'dynamiq.sandbox_token.malformed',
      'The token does not carry sandbox-token claims.',
    );
  }
  const p = parsed.data;
  return {
    userId: p.sub,
    conversationId: p.conversation_id,
    sandboxId: p.sandbox_id,
    scopes: p.scopes,
    jti: p.jti,
    issuedAt: new Date(p.iat * 1000),
    expiresAt: new Date(p.exp * 1000),
  };
}

function refusal(err: unknown): SandboxTokenError {
  if (err instanceof errors.JWTExpired) {
    return new SandboxTokenError(
      'dynamiq.sandbox_token.expired',
      'The sandbox token has expired; ask for a new one.',
      {
        cause: err,
      },
    );
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed
  ) {
    return new SandboxTokenError(
      'dynamiq.sandbox_token.invalid_signature',
      'The sandbox token was not signed by Dynamiq.',
      { cause: err },
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') {
    return new SandboxTokenError(
      'dynamiq.sandbox_token.wrong_audience',
      `The token is not meant for ${SANDBOX_TOKEN_AUDIENCE}.`,
      { cause: err },
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iss') {
    return new SandboxTokenError(
      'dynamiq.sandbox_token.wrong_issuer',
      `The token was not issued by ${SANDBOX_TOKEN_ISSUER}.`,
      { cause: err },
    );
  }
  return new SandboxTokenError(
    'dynamiq.sandbox_token.malformed',
    'The sandbox token is not a valid JWT.',
    {
      cause: err,
    },
  );
}

// A process has one JWT secret; keeping its imported WebCrypto key saves an import per token,
// which was the largest part of verifying one.
let lastKey: { secret: string; key: Promise<webcrypto.CryptoKey> } | undefined;

function key(secret: string): Promise<webcrypto.CryptoKey> {
  if (lastKey?.secret === secret) return lastKey.key;
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new RangeError(
      `The sandbox token secret (JWT_SECRET) must be at least ${MIN_SECRET_BYTES} bytes.`,
    );
  }
  const imported = webcrypto.subtle.importKey(
    'raw',
    bytes,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  lastKey = { secret, key: imported };
  return imported;
}
