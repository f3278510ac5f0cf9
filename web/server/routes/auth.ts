import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth.js';
import type { ServerDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import {
  closeSession,
  createLoginLink,
  openSession,
  redeemLoginLink,
  SESSION_TTL_MS,
} from '../sessions/index.js';

const cookieOptions = (publicUrl: string) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const, // a link clicked in Slack is a cross-site top-level navigation
  secure: publicUrl.startsWith('https://'),
});

/** `GET /auth/link`: redeems a sign-in link and opens a portal session (no auth needed). */
export async function signInRoutes(root: FastifyInstance, deps: ServerDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/auth/link',
    { schema: { querystring: z.object({ token: z.string().min(20).max(4096) }) } },
    async (request, reply) => {
      const subject = await redeemLoginLink(deps.db, deps.jwtSecret, request.query.token);
      const session = await openSession(deps.db, subject);
      reply.setCookie(SESSION_COOKIE, session.token, {
        ...cookieOptions(deps.publicUrl),
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return reply.redirect(`${deps.publicUrl}/`, 303);
    },
  );
}

/** Session routes inside the authenticated /api scope. */
export async function sessionRoutes(root: FastifyInstance, deps: ServerDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get('/api/session', async (request) => {
    const csrfToken = request.sessionTokenHash
      ? (await deps.db.portalSession.findUnique({ where: { tokenHash: request.sessionTokenHash } }))
          ?.csrfToken
      : undefined;
    return { user: request.user, csrfToken: csrfToken ?? null };
  });

  app.post('/api/auth/logout', async (request, reply) => {
    if (request.sessionTokenHash) await closeSession(deps.db, request.sessionTokenHash);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(deps.publicUrl));
    return reply.status(204).send();
  });

  // The bots ask for these when a person must open the portal (e.g. to connect GitHub).
  app.post(
    '/api/auth/links',
    { schema: { body: z.object({ identityId: z.uuid() }).strict() } },
    async (request, reply) => {
      if (request.user.role !== 'admin')
        throw new HttpError(403, 'forbidden', 'Only an administrator creates sign-in links.');
      const identity = await deps.db.chatIdentity.findUnique({
        where: { id: request.body.identityId },
      });
      if (!identity)
        throw new HttpError(404, 'not_found', `No chat identity ${request.body.identityId}.`);
      const link = await createLoginLink(deps.jwtSecret, deps.publicUrl, {
        userId: identity.userId,
        identityId: identity.id,
      });
      return reply.status(201).send({ url: link.url, expiresAt: link.expiresAt.toISOString() });
    },
  );
}
