import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../lib/db/index.js';
import { HttpError } from './errors.js';

export interface AuthUser {
  id: string;
  displayName: string;
  role: 'admin' | 'member';
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer-token authentication for /api. The configured administrator token maps to the
 * administrator user; digests are compared in constant time so the token cannot be
 * guessed byte by byte from response times.
 */
export function bearerAuth(opts: { apiToken: string; admin: AuthUser }) {
  const expected = digest(opts.apiToken);
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpError(401, 'unauthorized', 'Send Authorization: Bearer <DYNAMIQ_API_TOKEN>.');
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
