import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PROXY_ERRORS, ProxyError, handleProxyRequest, toProxyError } from '../../../mcp/index.js';
import type { McpRegistry } from '../../../mcp/index.js';
import { bearerToken } from '../../../lib/http/index.js';
import type { Logger } from '../../../lib/logging.js';
import { verifySandboxToken } from '../../../lib/sandbox-access/index.js';
import type { SandboxTokenClaims } from '../../../lib/sandbox-access/index.js';
// `request.user` is declared by auth.ts's augmentation of FastifyRequest.
import type {} from '../auth.js';
import { HttpError } from '../errors.js';

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
export async function mcpRoutes(root: FastifyInstance, deps: McpRouteDeps): Promise<void> {
  const api = root.withTypeProvider<ZodTypeProvider>();

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
            successRedirectUrl: z.url().optional(),
            errorRedirectUrl: z.url().optional(),
          })
          .default({}),
      },
    },
    async (request) => {
      if (!deps.mcp) throw new HttpError(503, 'mcp_disabled', 'No MCP provider is configured.');
      const { app } = request.params;
      const link = await deps.mcp.connectLink(request.user.id, app, request.body);
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
 * `POST /api/mcp/proxy`: JSON-RPC 2.0 for code in a sandbox (mcp-cli), authenticated by a
 * sandbox token, never the administrator's. Register it at the root, outside the /api bearer
 * hook; it installs its own error handler so that every answer, even to a bad body, is JSON-RPC.
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
    audit(deps, request, claims, method, 'ok', started);
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
    audit(deps, request, claims, method, rpc.data.code, started);
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

function audit(
  deps: McpRouteDeps,
  request: FastifyRequest,
  claims: SandboxTokenClaims | undefined,
  method: string,
  outcome: string,
  started: number,
) {
  // Arguments are never logged: they may carry the user's data.
  const params = (request.body as { params?: { app?: unknown; name?: unknown } } | undefined)
    ?.params;
  deps.log.info(
    {
      mcpProxy: {
        method,
        app: params?.app,
        tool: params?.name,
        outcome,
        ms: Math.round(performance.now() - started),
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
