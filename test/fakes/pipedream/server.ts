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

/** A connected account as Pipedream Connect stores it (credentials left out). */
export interface FakeAccount {
  id: string;
  externalUserId: string;
  app: string;
  name: string | null;
  healthy: boolean;
  dead: boolean;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Pipedream Connect as its docs describe it, on two loopback servers like the real two hosts:
 * the REST API (`POST /v1/oauth/token` client credentials; under `/v1/connect/{project_id}`:
 * `POST /tokens`, `GET /accounts`, `DELETE /accounts/{id}`) and the remote MCP server, which
 * wants a valid bearer and the `x-pd-*` headers on every request.
 */
export async function startFakePipedream(opts: FakePipedreamOptions) {
  const environment = opts.environment ?? 'development';
  const tokens = new Map<string, number>();
  const connectTokens: Array<{
    externalUserId: string;
    token: string;
    successRedirectUri?: string;
    errorRedirectUri?: string;
  }> = [];
  const accounts: FakeAccount[] = [];
  const accountRequests: Array<{ method: string; url: string }> = [];
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
      const project = /^\/v1\/connect\/([^/]+)\/(tokens|accounts)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
      if (project) {
        // Every Connect endpoint wants the bearer, the environment and a project of this client.
        if (!validBearer(req.headers)) return json(res, 401, { error: 'Unauthorized' });
        if (req.headers['x-pd-environment'] !== environment) {
          return json(res, 400, {
            error: 'x-pd-environment header must be development or production',
          });
        }
        if (project[1] !== opts.projectId) return json(res, 404, { error: 'project not found' });
      }
      if (project?.[2] === 'accounts') {
        accountRequests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
        return accountsRoute(req.method, project[3], url, res);
      }
      if (req.method === 'POST' && project?.[2] === 'tokens' && !project[3]) {
        if (typeof body.external_user_id !== 'string' || !body.external_user_id) {
          return json(res, 400, { error: 'external_user_id is required' });
        }
        const token = `ctok_${randomBytes(8).toString('hex')}`;
        connectTokens.push({
          externalUserId: body.external_user_id,
          token,
          successRedirectUri: body.success_redirect_uri as string | undefined,
          errorRedirectUri: body.error_redirect_uri as string | undefined,
        });
        return json(res, 200, {
          token,
          expires_at: new Date(Date.now() + 4 * 3600_000).toISOString(),
          connect_link_url: `https://pipedream.com/_static/connect.html?token=${token}&connectLink=true`,
        });
      }
      json(res, 404, { error: `No route ${req.method} ${url.pathname}` });
    });
  });

  // GET /accounts pages by `limit` (1-100, default 10) and `after`, the previous end_cursor.
  function accountsRoute(
    method: string | undefined,
    id: string | undefined,
    url: URL,
    res: http.ServerResponse,
  ) {
    if (method === 'DELETE' && id) {
      const at = accounts.findIndex((a) => a.id === id);
      if (at < 0) return json(res, 404, { error: 'account not found' });
      accounts.splice(at, 1);
      res.writeHead(204).end();
      return;
    }
    if (method !== 'GET' || id)
      return json(res, 404, { error: `No route ${method} ${url.pathname}` });
    const limit = Number(url.searchParams.get('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return json(res, 400, { error: 'limit must be between 1 and 100' });
    }
    const user = url.searchParams.get('external_user_id');
    const app = url.searchParams.get('app');
    const matching = accounts.filter(
      (a) => (!user || a.externalUserId === user) && (!app || a.app === app),
    );
    const after = url.searchParams.get('after');
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) : 0;
    const page = matching.slice(start, start + limit);
    const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
    return json(res, 200, {
      page_info: {
        total_count: matching.length,
        count: page.length,
        start_cursor: cursor(start),
        end_cursor: cursor(start + page.length),
      },
      data: page.map((a) => ({
        id: a.id,
        name: a.name,
        external_id: a.externalUserId,
        healthy: a.healthy,
        dead: a.dead,
        app: { id: `app_${a.app}`, name_slug: a.app, name: a.app, auth_type: 'oauth' },
        created_at: a.createdAt,
        updated_at: a.updatedAt,
        expires_at: null,
        error: a.error,
        last_refreshed_at: null,
        next_refresh_at: null,
      })),
    });
  }

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
    accounts,
    /** Every request to the accounts endpoints, in order. */
    accountRequests,
    /** Adds a connected account for the user, as finishing a Connect Link would. */
    connectAccount(
      externalUserId: string,
      app: string,
      fields: Partial<Pick<FakeAccount, 'name' | 'healthy' | 'dead' | 'error'>> = {},
    ): FakeAccount {
      const now = new Date().toISOString();
      const account: FakeAccount = {
        id: `apn_${randomBytes(5).toString('hex')}`,
        externalUserId,
        app,
        name: null,
        healthy: true,
        dead: false,
        error: null,
        createdAt: now,
        updatedAt: now,
        ...fields,
      };
      accounts.push(account);
      return account;
    },
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
