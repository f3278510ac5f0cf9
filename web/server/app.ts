import Fastify, { LogController } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { authenticate } from './auth.js';
import type { RouteDeps, ServerDeps } from './deps.js';
import { body, errorHandler, frameworkErrorHandler } from './errors.js';
import { catalog } from '../../integrations/index.js';
import { adminRoutes } from './routes/admin.js';
import { sessionRoutes, signInRoutes } from './routes/auth.js';
import { conversationEventRoutes } from './routes/conversation-events.js';
import { conversationRoutes } from './routes/conversations.js';
import { cloudBrokerRoutes, cloudRoutes } from './routes/cloud.js';
import { healthRoutes } from './routes/health.js';
import { integrationBrokerRoutes, sandboxConsentRoutes } from './routes/integration-broker.js';
import { integrationRoutes, oauthCallbackRoutes } from './routes/integrations.js';
import { mcpProxyRoutes, mcpRoutes } from './routes/mcp.js';
import { statusRoutes } from './routes/status.js';
import { openPortal, portalRoutes } from './portal.js';
import { DEFAULT_HTTP_LIMITS, StreamSlots, registerRateLimits } from './rate-limits.js';
import { documentUserAuth, openApiRoutes, registerOpenApi } from './openapi.js';

/** Builds the HTTP server (not listening yet): health, then authenticated /api routes. */
export async function buildServer(serverDeps: ServerDeps) {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...serverDeps.limits };
  const deps: RouteDeps = {
    ...serverDeps,
    limits,
    streams: new StreamSlots(limits.streamsPerUser),
  };
  const app = Fastify({
    loggerInstance: deps.log.child({ role: 'api' }),
    // Per-request lines would log every SSE token stream; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    // Event streams stay open indefinitely; shutdown must not wait for them (clients resume
    // with Last-Event-ID).
    forceCloseConnections: true,
    // Errors before routing (a URL that does not decode) in the same envelope as the rest.
    frameworkErrors: frameworkErrorHandler,
    // Behind a reverse proxy the client's address is in X-Forwarded-For; rate limits key on it.
    trustProxy: deps.trustProxy ?? false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(deps.log));
  // The API speaks JSON only; anything else is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyCookie);
  await registerRateLimits(app, limits, deps.log);
  // Before any route: it describes each one as it is registered (GET /api/openapi.json).
  await registerOpenApi(app);
  // The portal's pages; its client-side routes fall back to index.html, the API's do not.
  const portal = openPortal(deps.portalDir);
  await app.register(async (scope) => portalRoutes(scope, portal));
  app.setNotFoundHandler((request, reply) => {
    if (portal.built && portal.owns(request)) return portal.sendPage(reply);
    return reply
      .status(404)
      .send(
        body('dynamiq.http.not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
      );
  });
  await app.register(async (scope) => healthRoutes(scope, deps));
  await app.register(async (scope) => signInRoutes(scope, deps, portal));
  // The provider sends the browser back without our credentials: the single-use state and the
  // flow's own cookie authenticate the callback.
  await app.register(async (scope) => oauthCallbackRoutes(scope, deps));
  // Slack signs each request itself; its scope keeps the raw body the signature covers.
  if (deps.slack) await app.register(async (scope) => deps.slack!.register(scope));
  // Teams authenticates each activity with a Bot Framework JWT, not the portal's credentials.
  if (deps.teams) await app.register(async (scope) => deps.teams!.register(scope));
  // Discord signs each interaction with Ed25519 over the raw body, the same way.
  if (deps.discord) await app.register(async (scope) => deps.discord!.register(scope));
  // Sandboxes authenticate with their own short-lived token, never the administrator's.
  await app.register(async (scope) => mcpProxyRoutes(scope, deps));
  await app.register(async (scope) => cloudBrokerRoutes(scope, deps));
  await app.register(async (scope) => integrationBrokerRoutes(scope, deps));
  await app.register(async (api) => {
    api.addHook(
      'onRequest',
      authenticate({ apiToken: deps.apiToken, admin: deps.admin, db: deps.db }),
    );
    documentUserAuth(api);
    await sessionRoutes(api, deps);
    await conversationRoutes(api, deps);
    await conversationEventRoutes(api, deps);
    await mcpRoutes(api, deps);
    await cloudRoutes(api, deps);
    await integrationRoutes(api, deps);
    await sandboxConsentRoutes(api, deps);
    await statusRoutes(api, deps);
    await api.register(async (admin) =>
      adminRoutes(admin, { db: deps.db, integrationIds: new Set(catalog.map((i) => i.id)) }),
    );
    await openApiRoutes(api);
  });
  return app;
}
