import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Db } from '../../../lib/db/index.js';
import { Prisma } from '../../../lib/db/index.js';
import { HttpError } from '../errors.js';

const AUDIENCE = 'dynamiq-portal';
const ISSUER = 'dynamiq';
/** How long a sign-in link works, in seconds: long enough to click, short enough to leak little. */
export const LOGIN_LINK_TTL_SECONDS = 15 * 60;

export interface LoginLinkSubject {
  userId: string;
  /** The chat identity the link was sent to; its session is tied to that identity. */
  identityId?: string;
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** A signed, single-use sign-in URL for the portal (sent in chat, or printed at start-up). */
export async function createLoginLink(
  secret: string,
  publicUrl: string,
  subject: LoginLinkSubject,
): Promise<{ url: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + LOGIN_LINK_TTL_SECONDS * 1000);
  const token = await new SignJWT(subject.identityId ? { idn: subject.identityId } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject.userId)
    .setAudience(AUDIENCE)
    .setIssuer(ISSUER)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(secret));
  return { url: `${publicUrl}/auth/link?token=${token}`, expiresAt };
}

/** A verified sign-in link, not yet used. */
export interface VerifiedLoginLink extends LoginLinkSubject {
  jti: string;
  expiresAt: Date;
}

/**
 * Checks a sign-in link's signature, audience and expiry without using it up: the sign-in page
 * shows whose account it opens before the person presses "Sign in".
 */
export async function verifyLoginLink(secret: string, token: string): Promise<VerifiedLoginLink> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      audience: AUDIENCE,
      issuer: ISSUER,
      algorithms: ['HS256'],
    }));
  } catch (err) {
    const reason = err instanceof joseErrors.JWTExpired ? 'has expired' : 'is not valid';
    throw new HttpError(
      400,
      'invalid_login_link',
      `This sign-in link ${reason}. Ask the bot for a new one.`,
    );
  }
  if (!payload.sub || !payload.jti || !payload.exp) {
    throw new HttpError(
      400,
      'invalid_login_link',
      'This sign-in link is not valid. Ask the bot for a new one.',
    );
  }
  const identityId = typeof payload.idn === 'string' ? payload.idn : undefined;
  return {
    userId: payload.sub,
    ...(identityId ? { identityId } : {}),
    jti: payload.jti,
    expiresAt: new Date(payload.exp * 1000),
  };
}

const usedError = () =>
  new HttpError(
    400,
    'login_link_used',
    'This sign-in link was already used. Ask the bot for a new one.',
  );

/** Refuses a link that was already redeemed (the page says so before anyone presses a button). */
export async function assertLoginLinkUnused(db: Db, link: VerifiedLoginLink): Promise<void> {
  if (await db.usedLoginLink.findUnique({ where: { jti: link.jti } })) throw usedError();
}

/**
 * Checks a sign-in link and marks it used, atomically: a second redemption (a forwarded
 * link, a replay) finds its jti taken and is refused.
 */
export async function redeemLoginLink(
  db: Db,
  secret: string,
  token: string,
): Promise<LoginLinkSubject> {
  const link = await verifyLoginLink(secret, token);
  try {
    await db.usedLoginLink.create({ data: { jti: link.jti, expiresAt: link.expiresAt } });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw usedError();
    }
    throw err;
  }
  return { userId: link.userId, ...(link.identityId ? { identityId: link.identityId } : {}) };
}
