import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import {
  McpConfigError,
  PROXY_ERRORS,
  ProxyError,
  handleProxyRequest,
  sandboxMcpServer,
  toProxyError,
} from '../../../mcp/index.js';
import type { McpRegistry } from '../../../mcp/index.js';
import { DynamiqError } from '../../../lib/errors/index.js';
import { bearerToken } from '../../../lib/http/index.js';
import type { Logger } from '../../../lib/logging.js';
import {
  MCP_OPERATIONS,
  SANDBOX_MCP_PATH,
  verifySandboxToken,
} from '../../../lib/sandbox-access/index.js';
import type { SandboxTokenClaims } from '../../../lib/sandbox-access/index.js';
// `request.user` is declared by auth.ts's augmentation of FastifyRequest.
import type {} from '../auth.js';
import { HttpError } from '../errors.js';
import { ownUrl, ownUrlField } from '../redirects.js';

/** What the MCP routes need; `ServerDeps` provides it once it carries `mcp` and `jwtSecret`. */
export interface McpRouteDeps {
  mcp?: McpRegistry;
  /** Verifies sandbox tokens (JWT_SECRET). Without it the proxy refuses every request. */
  jwtSecret?: string;
  log: Logger;
}

const rpcRequest = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string().max(128), z.number().int()]),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

/** Administrator routes (inside the bearer-authenticated /api scope): providers, apps, connect. */
export async function mcpRoutes(
  root: FastifyInstance,
  deps: McpRouteDeps & {
    /** PUBLIC_URL: connect pages may send the browser back only under it. */
    publicUrl: string;
  },
): Promise<void> {
  const api = root.withTypeProvider<ZodTypeProvider>();
  const redirect = ownUrlField(deps.publicUrl);

  api.get('/api/mcp/providers', async () => ({
    providers: deps.mcp?.providers() ?? [],
    defaultProvider: deps.mcp?.defaultProvider ?? null,
  }));

  api.get('/api/mcp/apps', async () => ({ apps: deps.mcp?.apps() ?? [] }));

  api.post(
    '/api/mcp/apps/:app/connect',
    {
      schema: {
        params: z.object({ app: z.string().min(1).max(64) }),
        body: z
          .strictObject({
            successRedirectUrl: redirect.optional(),
            errorRedirectUrl: redirect.optional(),
          })
          .default({}),
      },
    },
    async (request) => {
      if (!deps.mcp) throw new HttpError(503, 'mcp_disabled', 'No MCP provider is configured.');
      const { app } = request.params;
      const { successRedirectUrl, errorRedirectUrl } = request.body;
      // The provider's page sends the browser to these: absolute, and only under PUBLIC_URL.
      const link = await deps.mcp
        .connectLink(request.user.id, app, {
          ...(successRedirectUrl
            ? { successRedirectUrl: ownUrl(successRedirectUrl, deps.publicUrl) }
            : {}),
          ...(errorRedirectUrl
            ? { errorRedirectUrl: ownUrl(errorRedirectUrl, deps.publicUrl) }
            : {}),
        })
        .catch((err: unknown) => {
          // The app's provider lacks its settings here (no API key, no auth config for the
          // app): the deployment's state, not a crash, and the message says what to set.
          if (err instanceof McpConfigError)
            throw new HttpError(409, 'provider_not_configured', err.message);
          throw err;
        });
      if (!link) {
        throw new HttpError(
          404,
          'no_connect_flow',
          `${app}'s provider has no hosted connect page.`,
        );
      }
      return link;
    },
  );
}

/**
 * The sandbox's MCP endpoints, authenticated by a sandbox token, never the administrator's.
 * Register them at the root, outside the /api bearer hook.
 * - `POST /api/mcp/proxy`: the private JSON-RPC 2.0 dialect of mcp-cli; it installs its own
 *   error handler so that every answer, even to a bad body, is JSON-RPC.
 * - `/api/mcp/sandbox/{app}/mcp`: each app the token allows as a standard MCP server over
 *   Streamable HTTP, for any MCP client (see `standardMcpRoutes`).
 */
export async function mcpProxyRoutes(root: FastifyInstance, deps: McpRouteDeps): Promise<void> {
  await root.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError, _request, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) deps.log.error({ err }, 'MCP proxy request failed');
      const parse = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError;
      const code = parse
        ? PROXY_ERRORS.parseError
        : status < 500
          ? PROXY_ERRORS.invalidRequest
          : PROXY_ERRORS.internal;
      const message = status < 500 ? err.message : 'The proxy failed; see the server log.';
      return reply
        .status(status)
        .send(
          failure(
            null,
            new ProxyError(code, message, { code: parse ? 'parse_error' : 'bad_request' }),
          ),
        );
    });
    scope.post('/api/mcp/proxy', (request, reply) => proxy(request, reply, deps));
  });
  // Its own scope, so that its refusals go through the app's one error handler.
  await root.register(async (scope) => standardMcpRoutes(scope, deps));
}

async function proxy(request: FastifyRequest, reply: FastifyReply, deps: McpRouteDeps) {
  const started = performance.now();
  const envelope = rpcRequest.safeParse(request.body);
  const id = envelope.success ? envelope.data.id : null;
  const method = envelope.success ? envelope.data.method : '?';
  let claims: SandboxTokenClaims | undefined;
  // A sandbox that gives up (mcp-cli killed, connection dropped) cancels the upstream call.
  const gone = new AbortController();
  const onClose = () => reply.raw.writableFinished || gone.abort();
  reply.raw.on('close', onClose);
  try {
    claims = await authenticate(request, deps);
    if (!envelope.success) {
      const why = Array.isArray(request.body)
        ? 'batches are not supported; send one request at a time'
        : `not a JSON-RPC 2.0 request (${envelope.error.issues[0]?.path.join('.') || 'body'}: ${envelope.error.issues[0]?.message})`;
      throw new ProxyError(PROXY_ERRORS.invalidRequest, `Invalid request: ${why}.`, {
        code: 'invalid_request',
      });
    }
    const scope = { userId: claims.userId, ...claims.scopes };
    const result = await handleProxyRequest(
      deps.mcp!,
      scope,
      method,
      envelope.data.params,
      gone.signal,
    );
    audit(deps, claims, { method, ...proxyTarget(request.body) }, 'ok', started);
    return reply.send({ jsonrpc: '2.0', id, result });
  } catch (err) {
    const rpc = toProxyError(err);
    if (!rpc) {
      deps.log.error({ err }, 'MCP proxy request failed');
      return reply.status(500).send(
        failure(
          id,
          new ProxyError(PROXY_ERRORS.internal, 'The proxy failed; see the server log.', {
            code: 'internal',
          }),
        ),
      );
    }
    audit(deps, claims, { method, ...proxyTarget(request.body) }, rpc.data.code, started);
    const status = statusOf(rpc);
    if (status === 401) reply.header('www-authenticate', 'Bearer error="invalid_token"');
    return reply.status(status).send(failure(id, rpc));
  } finally {
    reply.raw.off('close', onClose);
  }
}

async function authenticate(
  request: FastifyRequest,
  deps: McpRouteDeps,
): Promise<SandboxTokenClaims> {
  if (!deps.jwtSecret || !deps.mcp) {
    throw new ProxyError(
      PROXY_ERRORS.upstream,
      'The MCP proxy is off: set JWT_SECRET and configure an MCP provider.',
      {
        code: 'proxy_disabled',
      },
    );
  }
  const token = bearerToken(request.headers.authorization);
  if (!token) {
    throw new ProxyError(
      PROXY_ERRORS.unauthorized,
      'Send Authorization: Bearer <sandbox token> ($DYNAMIQ_SANDBOX_TOKEN).',
      {
        code: 'missing_token',
      },
    );
  }
  // A refusal is a SandboxTokenError (401): toProxyError answers it as unauthorized.
  return verifySandboxToken(token, deps.jwtSecret);
}

/** Transport-level refusals get HTTP statuses; answers to a valid, authenticated call are 200. */
function statusOf(err: ProxyError): number {
  if (err.rpcCode === PROXY_ERRORS.unauthorized) return 401;
  if (err.data.code === 'proxy_disabled') return 503;
  if (err.rpcCode === PROXY_ERRORS.invalidRequest || err.rpcCode === PROXY_ERRORS.parseError)
    return 400;
  return 200;
}

function failure(id: string | number | null, err: ProxyError) {
  return { jsonrpc: '2.0', id, error: { code: err.rpcCode, message: err.message, data: err.data } };
}

/**
 * `POST /api/mcp/sandbox/{app}/mcp`: one app of the sandbox token's scope as a standard MCP
 * server over Streamable HTTP (stateless: a server and transport per request, JSON answers, no
 * session id), so the official SDK's client and any MCP client work from a sandbox. The token
 * is the bearer; a missing, forged or expired one is 401, an app outside its scope or a token
 * without any MCP operation 403 (both before any MCP message is read). `tools/list` and
 * `tools/call` are forwarded by `handleProxyRequest` with the private dialect's scope checks
 * (a call without `mcp:call` is a JSON-RPC error) and the same audit line. GET (a
 * server-initiated event stream) and DELETE (sessions) are 405, as the spec allows.
 */
async function standardMcpRoutes(root: FastifyInstance, deps: McpRouteDeps): Promise<void> {
  // Its schemas are zod's, also where the app around it validates otherwise.
  root.setValidatorCompiler(validatorCompiler);
  const api = root.withTypeProvider<ZodTypeProvider>();
  const url = `${SANDBOX_MCP_PATH}/:app/mcp`;
  const params = z.object({ app: z.string().min(1).max(64) });

  api.post(url, { schema: { params } }, async (request, reply) => {
    const started = performance.now();
    const { app } = request.params;
    let claims: SandboxTokenClaims | undefined;
    try {
      claims = await authenticateStandard(request, deps);
      if (!claims.scopes.apps.includes(app)) {
        throw new HttpError(
          403,
          'forbidden_app',
          `This sandbox may not use ${app}; its token allows: ${claims.scopes.apps.join(', ') || 'no apps'}.`,
        );
      }
      const ops: readonly string[] = Object.values(MCP_OPERATIONS);
      if (!claims.scopes.operations.some((op) => ops.includes(op))) {
        throw new HttpError(
          403,
          'forbidden_operation',
          `This sandbox token allows no MCP operation (${ops.join(', ')}).`,
        );
      }
    } catch (err) {
      const target = { method: rpcMethodOf(request.body), app, endpoint: 'standard' as const };
      audit(deps, claims, target, err instanceof DynamiqError ? err.reason : 'internal', started);
      if (err instanceof HttpError && err.status === 403) {
        reply.header('www-authenticate', 'Bearer error="insufficient_scope"');
      }
      throw err;
    }
    const who = claims;
    const server = sandboxMcpServer(deps.mcp!, { userId: who.userId, ...who.scopes }, app, {
      audit: (e) =>
        audit(
          deps,
          who,
          { method: e.method, app: e.app, tool: e.tool, endpoint: 'standard' },
          e.outcome,
          e.started,
        ),
      onUnexpected: (err) => deps.log.error({ err }, 'MCP request failed'),
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    // The SDK writes the answer itself. Once the response is over, or the sandbox hangs up
    // first, closing the server aborts what is still running (the upstream call is cancelled).
    reply.hijack();
    reply.raw.on('close', () => void server.close().catch(() => undefined));
    try {
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (err) {
      deps.log.error({ err }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: {
              code: PROXY_ERRORS.internal,
              message: 'The proxy failed; see the server log.',
            },
          }),
        );
      }
    }
  });

  api.route({
    method: ['GET', 'DELETE'],
    url,
    schema: { params },
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new HttpError(
        405,
        'method_not_allowed',
        'This MCP endpoint is stateless: send each request with POST.',
      );
    },
  });
}

/** `authenticate`, its refusals as DynamiqErrors for the app's error handler. */
async function authenticateStandard(
  request: FastifyRequest,
  deps: McpRouteDeps,
): Promise<SandboxTokenClaims> {
  try {
    return await authenticate(request, deps);
  } catch (err) {
    // A refused token is already a SandboxTokenError (401, `www-authenticate: Bearer`).
    if (!(err instanceof ProxyError)) throw err;
    throw new HttpError(statusOf(err), err.data.code, err.message);
  }
}

/** The JSON-RPC method of a single request body, for the audit line of a refusal. */
function rpcMethodOf(body: unknown): string {
  const method = (body as { method?: unknown } | undefined)?.method;
  return typeof method === 'string' ? method.slice(0, 64) : '?';
}

/** What an audit line names: the method, and the app and tool it was about. */
interface AuditTarget {
  method: string;
  app?: unknown;
  tool?: unknown;
  /** Set for the standard MCP endpoint; the private dialect's lines have none. */
  endpoint?: 'standard';
}

/** The app and tool a private-dialect request names, as sent. */
function proxyTarget(body: unknown): Pick<AuditTarget, 'app' | 'tool'> {
  const params = (body as { params?: { app?: unknown; name?: unknown } } | undefined)?.params;
  return { app: params?.app, tool: params?.name };
}

function audit(
  deps: McpRouteDeps,
  claims: SandboxTokenClaims | undefined,
  { method, app, tool, endpoint }: AuditTarget,
  outcome: string,
  started: number,
) {
  // Arguments are never logged: they may carry the user's data.
  deps.log.info(
    {
      mcpProxy: {
        method,
        app,
        tool,
        outcome,
        ms: Math.round(performance.now() - started),
        ...(endpoint ? { endpoint } : {}),
      },
      ...(claims
        ? {
            userId: claims.userId,
            conversationId: claims.conversationId,
            sandboxId: claims.sandboxId,
            jti: claims.jti,
          }
        : {}),
    },
    'mcp proxy request',
  );
}
