import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth.js';
import type { RouteDeps, ServerDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { signInBody, signInToken } from '../../contract/index.js';
import type { SessionResponse, SignInLinkInfo, SignInResponse } from '../../contract/index.js';
import type { Portal } from '../portal.js';
import { perUserStarts } from '../rate-limits.js';
import {
  assertLoginLinkUnused,
  closeSession,
  createLoginLink,
  openSession,
  redeemLoginLink,
  SESSION_TTL_MS,
  verifyLoginLink,
} from '../sessions/index.js';

const cookieOptions = (publicUrl: string) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'lax' as const, // a link clicked in Slack is a cross-site top-level navigation
  secure: publicUrl.startsWith('https://'),
});

/**
 * Sign-in from a link, in two steps so that opening a link signs no one in (link previews,
 * chat unfurlers and cross-site links only GET):
 * - `GET /auth/link?token=` is the portal's sign-in page; it changes nothing.
 * - `GET /auth/link/info?token=` says whose account the link opens, without using it up.
 * - `POST /auth/link` `{token}` (JSON only, so a cross-site form cannot send it) uses the link
 *   up and sets the session cookie.
 */
export async function signInRoutes(
  root: FastifyInstance,
  deps: ServerDeps,
  portal: Portal,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  // The token is in the URL: keep it out of caches and of other sites' Referer.
  const noStore = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

  app.get('/auth/link', async (_request, reply) => {
    if (!portal.built) {
      throw new HttpError(
        503,
        'portal_not_built',
        'The portal is not built: run `npm run build` (or `npm start`, which builds it).',
      );
    }
    return portal.sendPage(reply, noStore);
  });

  app.get(
    '/auth/link/info',
    { schema: { querystring: z.object({ token: signInToken }) } },
    async (request, reply) => {
      const link = await verifyLoginLink(deps.jwtSecret, request.query.token);
      await assertLoginLinkUnused(deps.db, link);
      const user = await deps.db.user.findUnique({ where: { id: link.userId } });
      if (!user)
        throw new HttpError(400, 'invalid_login_link', 'This sign-in link names no account.');
      const identity = link.identityId
        ? await deps.db.chatIdentity.findUnique({ where: { id: link.identityId } })
        : null;
      const info: SignInLinkInfo = {
        user: { displayName: user.displayName, role: user.role },
        identity: identity
          ? { platform: identity.platform, displayName: identity.displayName }
          : null,
        expiresAt: link.expiresAt.toISOString(),
      };
      return reply.headers(noStore).send(info);
    },
  );

  app.post('/auth/link', { schema: { body: signInBody } }, async (request, reply) => {
    // Browsers say where a request comes from; a page elsewhere must not sign anyone in.
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw new HttpError(
        403,
        'cross_site',
        'Sign in from the link itself, not from another site.',
      );
    }
    const subject = await redeemLoginLink(deps.db, deps.jwtSecret, request.body.token);
    const session = await openSession(deps.db, subject);
    const user = await deps.db.user.findUniqueOrThrow({ where: { id: subject.userId } });
    reply.setCookie(SESSION_COOKIE, session.token, {
      ...cookieOptions(deps.publicUrl),
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
    });
    const answer: SignInResponse = {
      user: { id: user.id, displayName: user.displayName, role: user.role },
    };
    return reply.headers({ 'cache-control': 'no-store' }).send(answer);
  });
}

/** Session routes inside the authenticated /api scope. */
export async function sessionRoutes(root: FastifyInstance, deps: RouteDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get('/api/session', async (request) => {
    const csrfToken = request.sessionTokenHash
      ? (await deps.db.portalSession.findUnique({ where: { tokenHash: request.sessionTokenHash } }))
          ?.csrfToken
      : undefined;
    const answer: SessionResponse = { user: request.user, csrfToken: csrfToken ?? null };
    return answer;
  });

  app.post('/api/auth/logout', async (request, reply) => {
    if (request.sessionTokenHash) await closeSession(deps.db, request.sessionTokenHash);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(deps.publicUrl));
    return reply.status(204).send();
  });

  // The bots ask for these when a person must open the portal (e.g. to connect GitHub).
  app.post(
    '/api/auth/links',
    {
      schema: { body: z.object({ identityId: z.uuid() }).strict() },
      config: perUserStarts(deps.limits),
    },
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
