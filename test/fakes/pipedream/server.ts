import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { closeServer, createFakeMcpHandler, json, listen, readBody } from '../mcp/fake-server.js';
import type { FakeTool } from '../mcp/fake-server.js';

export interface FakePipedreamOptions {
  clientId: string;
  clientSecret: string;
  projectId: string;
  environment?: 'development' | 'production';
  /** Access token lifetime, in seconds. Default 3600, as Pipedream documents. */
  tokenTtlSeconds?: number;
  /** Tools the remote MCP server offers per app slug. Default: a Slack and a Linear tool. */
  tools?: (appSlug: string) => FakeTool[];
}

const REQUIRED_MCP_HEADERS = [
  'x-pd-project-id',
  'x-pd-environment',
  'x-pd-external-user-id',
  'x-pd-app-slug',
] as const;

/**
 * Pipedream Connect as its docs describe it, on two loopback servers like the real two hosts:
 * the REST API (`POST /v1/oauth/token` client credentials, `POST /v1/connect/{project_id}/tokens`)
 * and the remote MCP server, which wants a valid bearer and the `x-pd-*` headers on every request.
 */
export async function startFakePipedream(opts: FakePipedreamOptions) {
  const environment = opts.environment ?? 'development';
  const tokens = new Map<string, number>();
  const connectTokens: Array<{ externalUserId: string; token: string }> = [];
  let tokenRequests = 0;

  const validBearer = (headers: IncomingHttpHeaders) => {
    const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    return token !== undefined && (tokens.get(token) ?? 0) > Date.now();
  };

  const api = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = parse(raw, req.headers['content-type']);
      if (req.method === 'POST' && url.pathname === '/v1/oauth/token') {
        tokenRequests++;
        if (body.grant_type !== 'client_credentials') {
          return json(res, 400, { error: 'unsupported_grant_type' });
        }
        if (body.client_id !== opts.clientId || body.client_secret !== opts.clientSecret) {
          return json(res, 401, {
            error: 'invalid_client',
            error_description: 'Invalid client credentials',
          });
        }
        const token = `pd_at_${randomBytes(12).toString('hex')}`;
        const ttl = opts.tokenTtlSeconds ?? 3600;
        tokens.set(token, Date.now() + ttl * 1000);
        return json(res, 200, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: ttl,
          created_at: Math.floor(Date.now() / 1000),
        });
      }
      const connect = /^\/v1\/connect\/([^/]+)\/tokens$/.exec(url.pathname);
      if (req.method === 'POST' && connect) {
        if (!validBearer(req.headers)) return json(res, 401, { error: 'Unauthorized' });
        if (req.headers['x-pd-environment'] !== environment) {
          return json(res, 400, {
            error: 'x-pd-environment header must be development or production',
          });
        }
        if (connect[1] !== opts.projectId) return json(res, 404, { error: 'project not found' });
        if (typeof body.external_user_id !== 'string' || !body.external_user_id) {
          return json(res, 400, { error: 'external_user_id is required' });
        }
        const token = `ctok_${randomBytes(8).toString('hex')}`;
        connectTokens.push({ externalUserId: body.external_user_id, token });
        return json(res, 200, {
          token,
          expires_at: new Date(Date.now() + 4 * 3600_000).toISOString(),
          connect_link_url: `https://pipedream.com/_static/connect.html?token=${token}&connectLink=true`,
        });
      }
      json(res, 404, { error: `No route ${req.method} ${url.pathname}` });
    });
  });

  const mcp = createFakeMcpHandler({
    authorize: (req) => {
      if (!validBearer(req.headers))
        return { status: 401, body: { error: 'invalid or expired access token' } };
      const missing = REQUIRED_MCP_HEADERS.filter((h) => !req.headers[h]);
      if (missing.length)
        return {
          status: 400,
          body: { error: `missing required header(s): ${missing.join(', ')}` },
        };
      if (req.headers['x-pd-project-id'] !== opts.projectId) {
        return { status: 403, body: { error: 'project does not belong to this OAuth client' } };
      }
      if (req.headers['x-pd-environment'] !== environment) {
        return { status: 400, body: { error: 'unknown environment' } };
      }
      return undefined;
    },
    tools: ({ headers }) => (opts.tools ?? defaultTools)(String(headers['x-pd-app-slug'])),
  });
  const mcpServer = http.createServer((req, res) => {
    mcp.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });

  const [apiAddress, mcpAddress] = await Promise.all([listen(api), listen(mcpServer)]);
  return {
    apiUrl: `http://127.0.0.1:${apiAddress.port}`,
    mcpUrl: `http://127.0.0.1:${mcpAddress.port}`,
    mcp,
    connectTokens,
    get tokenRequests() {
      return tokenRequests;
    },
    /** Revokes every access token, as their expiry would. */
    expireAccessTokens() {
      tokens.clear();
    },
    async close() {
      await mcp.close();
      await Promise.all([closeServer(api), closeServer(mcpServer)]);
    },
  };
}

export type FakePipedream = Awaited<ReturnType<typeof startFakePipedream>>;

function defaultTools(appSlug: string): FakeTool[] {
  if (appSlug === 'slack') {
    return [
      {
        name: 'slack-send-message',
        description: 'Send a message to a Slack channel.',
        inputSchema: {
          type: 'object',
          properties: { channel: { type: 'string' }, text: { type: 'string' } },
          required: ['channel', 'text'],
        },
        annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
        run: (args, ctx) => ({
          content: [
            {
              type: 'text',
              text: `Sent "${String(args.text)}" to #${String(args.channel)} as ${String(ctx.headers['x-pd-external-user-id'])}`,
            },
          ],
        }),
      },
    ];
  }
  if (appSlug === 'linear_app') {
    return [
      {
        name: 'linear_app-create-issue',
        description: 'Create an issue in Linear.',
        inputSchema: {
          type: 'object',
          properties: { title: { type: 'string' } },
          required: ['title'],
        },
        run: (args) => ({
          content: [{ type: 'text', text: `Created LIN-1: ${String(args.title)}` }],
        }),
      },
    ];
  }
  return [];
}

function parse(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}
