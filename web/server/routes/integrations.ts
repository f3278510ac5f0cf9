import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connectBody, integrationIdParams } from '../../contract/index.js';
import { ConnectionError } from '../../../integrations/connections/index.js';
import type { Connections } from '../../../integrations/connections/index.js';
import type { Db } from '../../../lib/db/index.js';
import { sessionUserOf } from '../auth.js';
import { bindFlowToBrowser, checkFlowBrowser, clearFlowCookie } from './oauth-cookie.js';
import { DEFAULT_HTTP_LIMITS, perUserStarts } from '../rate-limits.js';
import type { HttpLimits } from '../rate-limits.js';

/** What the integration routes need; `ServerDeps` provides it once it carries `connections`. */
export interface IntegrationRouteDeps {
  connections: Connections;
  /** Caps how many OAuth flows and key checks one user starts a minute; default limits if left out. */
  limits?: HttpLimits;
}

// The portal's contract (web/contract) holds the request schemas both sides use.
const idParams = integrationIdParams;

const statusQuery = z.object({
  /** Ask MCP providers again instead of reusing their recent answer (e.g. after a connect). */
  refresh: z.stringbool().optional(),
});

const callbackQuery = z.object({
  state: z.string().min(1).max(512),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().max(200).optional(),
  /** RFC 9207: checked where the catalog entry declares the provider's issuer. */
  iss: z.string().max(2000).optional(),
  // Providers may add these; they are accepted and not needed.
  error_description: z.string().max(2000).optional(),
  scope: z.string().max(4000).optional(),
  /** Set when the redirect names its integration; must match the one the state was made for. */
  integration: z.string().max(64).optional(),
});

/** Routes behind the /api bearer authentication; the caller is `request.user`. */
export async function integrationRoutes(
  root: FastifyInstance,
  deps: IntegrationRouteDeps,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { connections } = deps;

  app.get('/api/integrations', { schema: { querystring: statusQuery } }, async (request) => ({
    integrations: await connections.list(request.user.id, { fresh: request.query.refresh }),
  }));

  app.get('/api/integrations/agent-context', async (request) => ({
    context: await connections.agentContext(request.user.id),
  }));

  app.get(
    '/api/integrations/:id',
    { schema: { params: idParams, querystring: statusQuery } },
    async (request) => ({
      integration: await connections.get(request.user.id, request.params.id, {
        fresh: request.query.refresh,
      }),
    }),
  );

  app.post(
    '/api/integrations/:id/connect',
    {
      schema: { params: idParams, body: connectBody },
      config: perUserStarts(deps.limits ?? DEFAULT_HTTP_LIMITS),
    },
    async (request, reply) => {
      const { id } = request.params;
      const { credentials, accountLabel } = request.body ?? {};
      // mcp-type entries keep their accounts at Pipedream or Composio: the user connects on the
      // provider's hosted page, which sends the browser back to the portal.
      if (connections.connectsThroughProvider(id)) {
        if (credentials) {
          throw new ConnectionError(
            'dynamiq.connections.unsupported',
            `${id} connects on its provider's page, not with keys: POST without a body to get a connectUrl.`,
          );
        }
        return connections.startProviderConnect(request.user.id, id);
      }
      if (credentials) {
        const { checked } = await connections.connectWithKeys(request.user.id, id, {
          credentials,
          accountLabel,
        });
        const integration = await connections.get(request.user.id, id);
        return reply.status(201).send({ integration, checked });
      }
      const flow = await connections.startOAuth(request.user.id, id);
      bindFlowToBrowser(reply, connections.publicUrl, flow.state, flow.expiresAt);
      return { authorizeUrl: flow.authorizeUrl, expiresAt: flow.expiresAt.toISOString() };
    },
  );

  app.delete(
    '/api/integrations/:id/disconnect',
    { schema: { params: idParams } },
    async (request) => {
      const { revoked } = await connections.disconnect(request.user.id, request.params.id);
      return { integrationId: request.params.id, revoked };
    },
  );
}

/**
 * The provider sends the browser here as a top-level navigation, without the API's headers, so
 * this route is registered outside the authenticated scope and authenticates on its own: the
 * single-use state (bound to the user who started the flow), the flow cookie set on the browser
 * that started it, and, when that browser is signed in to the portal (the session cookie is
 * SameSite=Lax, so it comes along), the session's user, who must be the state's user. A state
 * another user started is refused even with its flow cookie planted in the victim's browser.
 */
export async function oauthCallbackRoutes(
  root: FastifyInstance,
  deps: IntegrationRouteDeps & { db: Db },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/integrations/oauth/callback',
    { schema: { querystring: callbackQuery } },
    async (request, reply) => {
      // The URL carries a one-time code: keep it out of caches and of the next page's Referer.
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      const { state, code, error, iss, integration } = request.query;
      const publicUrl = deps.connections.publicUrl;
      checkFlowBrowser(request, publicUrl, state);
      const expectedUserId = (await sessionUserOf(deps.db, request))?.id;
      const done = await deps.connections.completeOAuth({
        state,
        code,
        error,
        iss,
        integration,
        expectedUserId,
      });
      clearFlowCookie(reply, publicUrl);
      const target = new URL(`${publicUrl}/integrations`);
      target.searchParams.set('connected', done.integrationId);
      return reply.redirect(target.toString(), 302);
    },
  );
}
