import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CredentialBroker } from '../../../broker/index.js';
import { ConnectionError, placeCredentials } from '../../../integrations/connections/index.js';
import type { Connections, UsableCredentials } from '../../../integrations/connections/index.js';
import { HttpError } from '../errors.js';
import { brokerOf } from './broker-http.js';
import {
  BodyLimit,
  assertPlainSegments,
  limitBody,
  rewriteUpstreamHeaders,
} from './proxy-guards.js';

/** What these routes need; `ServerDeps` provides it. */
export interface IntegrationBrokerDeps {
  broker?: CredentialBroker;
  connections: Connections;
}

/** Where sandboxes send API requests: `<broker>/api/proxy/<integration>/<path>`. */
export const API_PROXY_PREFIX = '/api/proxy';
/** Upstream requests give up after this long, in milliseconds. */
const UPSTREAM_TIMEOUT_MS = 60_000;
/** Largest request body the proxy forwards, in bytes (by Content-Length, or counted as it streams). */
const PROXY_BODY_LIMIT = 10 * 1024 * 1024;

const idParams = z.object({
  id: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'must be an integration id such as github' }),
});

// Never forwarded: the sandbox's own token, anything that identifies the server's clients, and
// connection-level headers the proxy sets itself.
const DROPPED_REQUEST_HEADERS = [
  'authorization',
  'cookie',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'proxy-authorization',
];

/**
 * Sandbox-facing routes, authenticated by the command's sandbox token (register them outside
 * the /api bearer hook):
 * - `POST /api/integrations/{id}/sandbox-credentials`: a CLI's variables for one run.
 * - `ANY /api/proxy/{id}/{path}`: a request to an api integration, forwarded to its API with
 *   the user's key added here, so the key never enters the sandbox.
 */
export async function integrationBrokerRoutes(
  root: FastifyInstance,
  deps: IntegrationBrokerDeps,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/api/integrations/:id/sandbox-credentials',
    { schema: { params: idParams } },
    async (request, reply) => {
      const answer = await brokerOf(deps).cliCredentials({
        authorization: request.headers.authorization,
        integration: request.params.id,
      });
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );

  await app.register(async (proxy) => {
    await proxy.register(replyFrom, {
      undici: { headersTimeout: UPSTREAM_TIMEOUT_MS, bodyTimeout: UPSTREAM_TIMEOUT_MS },
    });
    // Bodies are streamed through as they are: any content type, never parsed here.
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    proxy.all(`${API_PROXY_PREFIX}/:id/*`, async (request, reply) => {
      const params = idParams.safeParse(request.params);
      if (!params.success) {
        throw new HttpError(
          400,
          'invalid_request',
          `params.id: ${params.error.issues[0]?.message}`,
        );
      }
      const { id } = params.data;
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > PROXY_BODY_LIMIT) {
        throw new HttpError(413, 'body_too_large', `The proxy forwards at most 10 MiB.`);
      }
      const upstream = targetOf(request.url, id);
      assertPlainSegments(upstream.path, id);
      const usable = await brokerOf(deps).proxyCredentials({
        authorization: request.headers.authorization,
        integration: id,
        method: request.method,
        path: upstream.path,
      });
      const target = upstreamUrl(usable, upstream);
      // Query-placed keys (a few APIs) go into `target`; header ones replace the sandbox's.
      const placed = Object.fromEntries(
        placeCredentials(usable.integration, target, usable.credentials),
      );
      // Counted only from here, once the request is allowed: a refused one is left unread.
      const body =
        request.body instanceof Readable ? limitBody(request.body, PROXY_BODY_LIMIT) : undefined;
      if (body) request.body = body;
      const where = {
        target,
        base: baseUrlOf(usable),
        proxyPrefix: `${API_PROXY_PREFIX}/${id}`,
      };
      return reply.from(target.toString(), {
        timeout: UPSTREAM_TIMEOUT_MS,
        rewriteRequestHeaders: (_req, headers) => forwardHeaders(headers, placed),
        // Answers carry the user's data: no cache between the sandbox and here may keep them.
        rewriteHeaders: (headers) => rewriteUpstreamHeaders(headers, where),
        onError: (res, { error }) => {
          if (body instanceof BodyLimit && body.exceeded) {
            // The rest of the body is never read: close the connection instead of draining it.
            return res
              .status(413)
              .header('connection', 'close')
              .send({
                error: {
                  code: 'dynamiq.http.body_too_large',
                  message: 'The proxy forwards at most 10 MiB.',
                },
              });
          }
          res.status(502).send({
            error: {
              code: 'dynamiq.broker.upstream_failed',
              message: `${usable.integration.name}'s API could not be reached (${(error as Error & { code?: string }).code ?? error.name}).`,
            },
          });
        },
      });
    });
  });
}

/** Session-authenticated routes (inside the /api scope). */
export async function sandboxConsentRoutes(
  root: FastifyInstance,
  deps: IntegrationBrokerDeps,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.put(
    '/api/integrations/:id/sandbox-consent',
    { schema: { params: idParams, body: z.strictObject({ allow: z.boolean() }) } },
    async (request) => {
      const at = await deps.connections.setSandboxKeyConsent(
        request.user.id,
        request.params.id,
        request.body.allow,
      );
      return { integrationId: request.params.id, sandboxKeyConsentAt: at?.toISOString() ?? null };
    },
  );
}

/** The part of the request URL after `/api/proxy/<id>`, split into path and query. */
function targetOf(url: string, id: string): { path: string; search: string } {
  const rest = url.slice(`${API_PROXY_PREFIX}/${id}`.length);
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, search: '' } : { path: rest.slice(0, q), search: rest.slice(q) };
}

/**
 * The upstream URL under the integration's API base. The path is resolved the way the upstream
 * will resolve it (dot segments, their percent-encoded forms), then checked to stay under the
 * base, so a sandbox cannot walk the key to another path or host.
 */
function upstreamUrl(usable: UsableCredentials, req: { path: string; search: string }): URL {
  const { integration, endpoints } = usable;
  const base = endpoints.apiBaseUrl;
  if (!base || endpoints.unresolved.includes('apiBaseUrl')) {
    throw new ConnectionError(
      'dynamiq.connections.endpoint_unresolved',
      `${integration.name} has no API base URL configured for this deployment (set its apiBaseUrl override).`,
    );
  }
  const baseUrl = baseUrlOf(usable);
  const target = new URL(`.${req.path}${req.search}`, baseUrl);
  if (target.origin !== baseUrl.origin || !target.pathname.startsWith(baseUrl.pathname)) {
    throw new HttpError(
      400,
      'invalid_path',
      `The path must stay under ${integration.name}'s API (${baseUrl.pathname}).`,
    );
  }
  return target;
}

/** The integration's API base as a URL ending in a slash, which paths resolve under. */
function baseUrlOf({ endpoints }: UsableCredentials): URL {
  const base = endpoints.apiBaseUrl!;
  return new URL(base.endsWith('/') ? base : `${base}/`);
}

function forwardHeaders(
  headers: IncomingHttpHeaders,
  placed: Record<string, string>,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  for (const name of DROPPED_REQUEST_HEADERS) delete out[name];
  return { ...out, ...placed };
}
