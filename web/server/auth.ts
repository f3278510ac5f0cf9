import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../lib/db/index.js';
import { bearerToken } from '../../lib/http/index.js';
import { HttpError } from './errors.js';
import { findSession } from './sessions/index.js';
import type { AuthUser } from './auth-user.js';

export type { AuthUser } from './auth-user.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The portal's session cookie; HttpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'dynamiq_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authentication for /api: a bearer token (scripts, automation; the configured administrator
 * token maps to the administrator) or the portal's session cookie. A cookie is sent by the
 * browser on its own, so state-changing requests authenticated by it must also carry the
 * session's CSRF token in `x-csrf-token`; bearer requests need none.
 */
export function authenticate(opts: { apiToken: string; admin: AuthUser; db: Db }) {
  const bearer = bearerAuth(opts);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization) return bearer(request, reply);
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie ? await findSession(opts.db, cookie) : null;
    if (!session) {
      throw new HttpError(
        401,
        'unauthorized',
        'Sign in to the portal with a link from the bot, or send Authorization: Bearer <token>.',
      );
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), digest(session.csrfToken))) {
        throw new HttpError(
          403,
          'csrf_token_missing',
          "Send the session's CSRF token (GET /api/session) in x-csrf-token.",
        );
      }
    }
    request.user = session.user;
    request.sessionTokenHash = session.tokenHash;
  };
}

/**
 * The portal user of the request's session cookie, if it has a live one; never a refusal. For
 * routes a browser reaches without our headers (the OAuth callback), which must still know who
 * is signed in there.
 */
export async function sessionUserOf(
  db: Db,
  request: FastifyRequest,
): Promise<AuthUser | undefined> {
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? (await findSession(db, cookie))?.user : undefined;
}

/**
 * Bearer-token authentication alone: the configured administrator token maps to the
 * administrator. Digests are compared in constant time so the token cannot be guessed byte
 * by byte from response times.
 */
export function bearerAuth(opts: { apiToken: string; admin: AuthUser }) {
  const expected = digest(opts.apiToken);
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = bearerToken(request.headers.authorization);
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new HttpError(
        401,
        'unauthorized',
        'Send Authorization: Bearer <DYNAMIQ_API_TOKEN>, or sign in to the portal.',
      );
    }
    request.user = opts.admin;
  };
}

/** The administrator account (created on first start); API tokens act as this user. */
export async function ensureAdmin(db: Db): Promise<AuthUser> {
  const existing = await db.user.findFirst({
    where: { role: 'admin' },
    orderBy: { createdAt: 'asc' },
  });
  const user =
    existing ?? (await db.user.create({ data: { displayName: 'Administrator', role: 'admin' } }));
  await db.chatIdentity.upsert({
    where: {
      platform_workspaceId_platformUserId: {
        platform: 'web',
        workspaceId: 'local',
        platformUserId: user.id,
      },
    },
    update: {},
    create: {
      userId: user.id,
      platform: 'web',
      workspaceId: 'local',
      platformUserId: user.id,
      displayName: user.displayName,
    },
  });
  return { id: user.id, displayName: user.displayName, role: user.role };
}
