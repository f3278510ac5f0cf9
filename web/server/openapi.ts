import { readFileSync } from 'node:fs';
import path from 'node:path';
import fastifySwagger from '@fastify/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchema,
  RawServerDefault,
  RouteOptions,
} from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { SESSION_COOKIE } from './auth.js';
import { HttpError } from './errors.js';

/** Where administrators read the API's description. */
export const OPENAPI_PATH = '/api/openapi.json';

/** The security schemes of the document, by name. */
const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'DYNAMIQ_API_TOKEN: acts as the administrator.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      "The portal's session cookie (POST /auth/link). A state-changing request must also send the session's CSRF token (GET /api/session) in x-csrf-token.",
  },
  sandboxToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A sandbox command's short-lived token (5 minutes), never the administrator's.",
  },
} as const;

const USER_SECURITY = [{ bearer: [] }, { session: [] }];
const SANDBOX_SECURITY = [{ sandboxToken: [] }];

/** The methods an OpenAPI 3.1 path item can hold; `.all()` routes register more. */
const OPENAPI_METHODS = new Set([
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
]);

const rawBody = (description: string, ...types: string[]) => ({
  body: { type: 'string', description },
  consumes: types,
});
const anyResponse = (description: string, type: string) => ({
  response: { default: { description, content: { [type]: { schema: {} } } } },
});

/**
 * What a schema cannot say about routes that read raw bytes, stream, or hand the response to
 * another library: documented here by method and path, so they are listed like the rest.
 */
const RAW_ROUTES: Record<string, Record<string, unknown>> = {
  'POST /slack/events': {
    summary: 'Slack events, slash commands and interactivity',
    description:
      "Verified by Slack's v0 signature over the raw body (x-slack-signature, x-slack-request-timestamp; 5-minute window).",
    ...rawBody(
      'Exactly the bytes Slack sent',
      'application/json',
      'application/x-www-form-urlencoded',
    ),
  },
  'POST /teams/messages': {
    summary: 'Bot Framework activities from Microsoft Teams',
    description: 'Authenticated by the Bot Framework JWT in Authorization (not the portal token).',
    ...rawBody('A Bot Framework activity', 'application/json'),
  },
  'POST /discord/interactions': {
    summary: 'Discord interactions (slash commands, components)',
    description:
      "Verified by Discord's Ed25519 signature over the raw body (x-signature-ed25519, x-signature-timestamp).",
    ...rawBody('Exactly the bytes Discord sent', 'application/json'),
  },
  'GET /slack/install': {
    summary: '"Add to Slack": redirects to Slack\'s OAuth page',
    ...anyResponse('A redirect or an HTML page', 'text/html'),
  },
  'GET /slack/oauth_redirect': {
    summary: "Slack's OAuth callback for an installation",
    ...anyResponse('An HTML page', 'text/html'),
  },
  'GET /api/conversations/:id/events': {
    summary: "A conversation's live event stream",
    description:
      'Server-sent events; resumes after Last-Event-ID (or ?after=) with what was stored, then follows live.',
    ...anyResponse('An event stream that stays open', 'text/event-stream'),
  },
  'POST /api/conversations/:id/messages': {
    description:
      "Answers with server-sent events: `accepted`, the turn's progress, then its final message.",
    ...anyResponse('An event stream that ends with the turn', 'text/event-stream'),
  },
  'POST /api/mcp/sandbox/:app/mcp': {
    summary: 'One app as a standard MCP server (Streamable HTTP, stateless)',
    security: SANDBOX_SECURITY,
    ...rawBody('A JSON-RPC 2.0 message', 'application/json'),
    ...anyResponse('A JSON-RPC 2.0 answer', 'application/json'),
  },
  'POST /api/mcp/proxy': {
    summary: "mcp-cli's JSON-RPC 2.0 dialect",
    security: SANDBOX_SECURITY,
    ...rawBody('A JSON-RPC 2.0 request', 'application/json'),
    ...anyResponse('A JSON-RPC 2.0 answer, also for errors', 'application/json'),
  },
  'GET /': { summary: 'The portal', ...anyResponse('index.html', 'text/html') },
  'GET /*': {
    summary: "The portal's built files",
    ...anyResponse('A file of the built portal', 'application/octet-stream'),
  },
};

/** Routes authenticated by a sandbox token, whichever method. */
const SANDBOX_ROUTES = [
  /^\/api\/proxy\//,
  /^\/api\/mcp\/sandbox\//,
  /^\/api\/cloud\/(aws|gcp)\/credentials$/,
  /^\/api\/integrations\/:id\/sandbox-credentials$/,
];

const PROXY_NOTE: Record<string, unknown> = {
  summary: "An API integration's request, forwarded with the user's key added by the server",
  description:
    'Any method; the body is streamed through unparsed (at most 10 MiB). The path after the integration id must stay under its API base.',
  ...rawBody('Forwarded as it is', '*/*'),
  ...anyResponse("The upstream API's answer", '*/*'),
};

/** An OpenAPI path for a Fastify URL: a trailing wildcard becomes a `{path}` parameter. */
const openApiUrl = (url: string) => url.replace(/\/\*$/, '/{path}');

/**
 * Registers @fastify/swagger (OpenAPI 3.1): every route registered after it is described from
 * its zod schemas (params, querystring, headers, body, responses); routes without a schema are
 * listed too, with what `RAW_ROUTES` says about them. Register before the routes.
 */
export async function registerOpenApi<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
): Promise<void> {
  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Dynamiq API',
        version: packageVersion(),
        description:
          'The portal REST API and SSE streams, OAuth callbacks, chat webhooks, and the broker endpoints sandboxes call. Errors are `{ error: { code, message } }` with a stable namespaced code.',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: (input) => {
      const route = input.route as RouteOptions;
      const extra = documented(route, input.url);
      // @fastify/static hides its routes; the portal's files are callable, so they are listed.
      const given = input.schema as (FastifySchema & { hide?: boolean }) | undefined;
      const shown = extra.summary && given?.hide ? { ...given, hide: false } : given;
      const { schema, url } = zodTransform({ ...input, schema: shown! });
      return {
        schema: { ...(schema as FastifySchema), ...extra } as FastifySchema,
        url: openApiUrl(url),
      };
    },
    transformObject: jsonSchemaTransformObject,
  });
}

/** The extra description of one route: who may call it and what a schema cannot say. */
function documented(route: RouteOptions, url: string): Record<string, unknown> {
  const methods = typeof route.method === 'string' ? [route.method] : route.method;
  const security = SANDBOX_ROUTES.some((r) => r.test(url))
    ? { security: SANDBOX_SECURITY }
    : (route.config as { openapiSecurity?: unknown } | undefined)?.openapiSecurity
      ? { security: USER_SECURITY }
      : {};
  const extra = url.startsWith('/api/proxy/')
    ? PROXY_NOTE
    : methods.map((m) => RAW_ROUTES[`${m} ${url}`]).find((r) => r !== undefined);
  return { ...security, ...extra };
}

/**
 * Marks every route registered in `scope` after this call as authenticated by the API token or
 * a portal session (call it in the scope that installs `authenticate`).
 */
export function documentUserAuth(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), openapiSecurity: true } as typeof route.config;
  });
}

/**
 * `GET /api/openapi.json` (administrators; register inside the authenticated /api scope): the
 * OpenAPI 3.1 description of every route.
 */
export async function openApiRoutes(api: FastifyInstance): Promise<void> {
  let document: Record<string, unknown> | undefined;
  api.get(OPENAPI_PATH, async (request) => {
    if (request.user.role !== 'admin')
      throw new HttpError(403, 'forbidden', 'Only an administrator reads the API description.');
    document ??= withStandardMethods(api.swagger() as unknown as Record<string, unknown>);
    return document;
  });
}

/**
 * The document without the extra methods `.all()` registers (PROPFIND, ...), which an OpenAPI
 * 3.1 path item cannot hold, and with the forwarded body of a schema-less raw route optional
 * (@fastify/swagger marks every documented body required).
 */
function withStandardMethods(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  const cleaned = Object.fromEntries(
    Object.entries(paths).map(([p, item]) => [
      p,
      Object.fromEntries(
        Object.entries(item)
          .filter(([method]) => OPENAPI_METHODS.has(method))
          .map(([key, op]) => {
            const body = op.requestBody as { content?: Record<string, unknown> } | undefined;
            if (!body?.content?.['*/*']) return [key, op];
            const { requestBody: _, ...rest } = op;
            return [
              key,
              key === 'get' || key === 'head'
                ? rest
                : { ...op, requestBody: { ...body, required: false } },
            ];
          }),
      ),
    ]),
  );
  return { ...doc, paths: cleaned };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}
