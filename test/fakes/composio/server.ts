import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { closeServer, createFakeMcpHandler, json, listen, readBody } from '../mcp/fake-server.js';
import type { FakeTool } from '../mcp/fake-server.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export interface FakeComposioOptions {
  apiKey: string;
  /** Auth configs that exist in the project, by toolkit. Default: one for `github`. */
  authConfigs?: Array<{ id: string; toolkit: string; status?: 'ENABLED' | 'DISABLED' }>;
}

/** A connected account as Composio's v3 API lists it (credentials left out). */
export interface FakeConnectedAccount {
  id: string;
  userId: string;
  toolkit: string;
  authConfigId: string;
  status: 'INITIATED' | 'INITIALIZING' | 'ACTIVE' | 'FAILED' | 'EXPIRED' | 'INACTIVE';
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
}

interface McpServerRecord {
  id: string;
  name: string;
  auth_config_ids: string[];
  toolkits: string[];
  allowed_tools: string[];
}

/**
 * Composio's v3 API as its reference describes it: `x-api-key` on everything; auth configs;
 * MCP servers (list, create, generate per-user URLs); auth links for connecting an account;
 * connected accounts (list with filters and cursor, delete); and the MCP endpoint `/v3/mcp/{server_id}?user_id=...`, where tools act with that user's
 * connected account (and fail as a tool result when there is none).
 */
export async function startFakeComposio(opts: FakeComposioOptions) {
  const authConfigs = opts.authConfigs ?? [{ id: 'ac_github', toolkit: 'github' }];
  const servers: McpServerRecord[] = [];
  const accounts: FakeConnectedAccount[] = [];
  const accountRequests: Array<{ method: string; url: string }> = [];
  const connected = (userId: string, toolkit: string) =>
    accounts.some((a) => a.userId === userId && a.toolkit === toolkit && a.status === 'ACTIVE');
  const links: Array<{ userId: string; authConfigId: string; callbackUrl?: string }> = [];
  let base = '';

  const github = (userId: string): FakeTool[] => [
    {
      name: 'GITHUB_GET_A_REPOSITORY',
      description: 'Get a repository.',
      inputSchema: {
        type: 'object',
        properties: { owner: { type: 'string' }, repo: { type: 'string' } },
        required: ['owner', 'repo'],
      },
      annotations: { readOnlyHint: true },
      run: (args): CallToolResult =>
        connected(userId, 'github')
          ? {
              content: [
                {
                  type: 'text',
                  text: JSON.stringify({
                    full_name: `${String(args.owner)}/${String(args.repo)}`,
                    as: userId,
                  }),
                },
              ],
            }
          : {
              content: [
                {
                  type: 'text',
                  text: `No connected account found for user ${userId} and toolkit github.`,
                },
              ],
              isError: true,
            },
    },
  ];
  const toolsFor = (server: McpServerRecord, userId: string): FakeTool[] =>
    (server.toolkits.includes('github') ? github(userId) : []).filter(
      (t) => server.allowed_tools.length === 0 || server.allowed_tools.includes(t.name),
    );

  const mcp = createFakeMcpHandler({
    authorize: (_req, url) => {
      const id = /^\/v3\/mcp\/([^/]+)$/.exec(url.pathname)?.[1];
      if (!servers.some((s) => s.id === id))
        return { status: 404, body: { error: { message: 'MCP server not found' } } };
      if (!url.searchParams.get('user_id'))
        return { status: 400, body: { error: { message: 'user_id is required' } } };
      return undefined;
    },
    tools: ({ url }) => {
      const server = servers.find((s) => url.pathname.endsWith(`/${s.id}`))!;
      return toolsFor(server, url.searchParams.get('user_id')!);
    },
  });

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.headers['x-api-key'] !== opts.apiKey) {
        return json(res, 401, { error: { message: 'Invalid API key', code: 401 } });
      }
      if (url.pathname.startsWith('/v3/mcp/')) return mcp.handle(req, res, url);
      const raw = await readBody(req);
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /api/v3/auth_configs') {
        const toolkit = url.searchParams.get('toolkit_slug');
        const items = authConfigs
          .filter((c) => !toolkit || c.toolkit === toolkit)
          .map((c) => ({ id: c.id, status: c.status ?? 'ENABLED', toolkit: { slug: c.toolkit } }));
        return json(res, 200, { items, total_pages: 1, current_page: 1 });
      }
      if (route === 'GET /api/v3/mcp/servers') {
        const name = url.searchParams.get('name')?.toLowerCase();
        const items = servers.filter((s) => !name || s.name.toLowerCase().includes(name));
        return json(res, 200, { items, total_pages: 1, current_page: 1 });
      }
      if (route === 'POST /api/v3/mcp/servers') {
        const name = String(body.name ?? '');
        if (!/^[A-Za-z0-9 -]{4,30}$/.test(name)) {
          return json(res, 400, {
            error: { message: 'name must be 4-30 characters: letters, digits, spaces, hyphens' },
          });
        }
        const ids = (body.auth_config_ids as string[] | undefined) ?? [];
        const configs = ids.map((id) => authConfigs.find((c) => c.id === id));
        if (ids.length === 0 || configs.some((c) => !c)) {
          return json(res, 400, {
            error: { message: 'auth_config_ids must name existing auth configs' },
          });
        }
        const record: McpServerRecord = {
          id: randomUUID(),
          name,
          auth_config_ids: ids,
          toolkits: configs.map((c) => c!.toolkit),
          allowed_tools: (body.allowed_tools as string[] | undefined) ?? [],
        };
        servers.push(record);
        return json(res, 201, { ...record, mcp_url: `${base}/v3/mcp/${record.id}` });
      }
      if (route === 'POST /api/v3/mcp/servers/generate') {
        const record = servers.find((s) => s.id === body.mcp_server_id);
        if (!record) return json(res, 404, { error: { message: 'MCP server not found' } });
        const users = (body.user_ids as string[] | undefined) ?? [];
        const mcpUrl = `${base}/v3/mcp/${record.id}`;
        return json(res, 200, {
          mcp_url: mcpUrl,
          user_ids_url: users.map((u) => `${mcpUrl}?user_id=${encodeURIComponent(u)}`),
          connected_account_urls: [],
        });
      }
      if (route === 'POST /api/v3/connected_accounts/link') {
        const config = authConfigs.find((c) => c.id === body.auth_config_id);
        if (!config || typeof body.user_id !== 'string') {
          return json(res, 400, { error: { message: 'auth_config_id and user_id are required' } });
        }
        links.push({
          userId: body.user_id,
          authConfigId: config.id,
          callbackUrl: body.callback_url as string | undefined,
        });
        const token = `lk_${randomBytes(6).toString('hex')}`;
        // The account exists from here on, INITIATED until the user finishes the link.
        const account = addAccount(body.user_id, config.toolkit, 'INITIATED');
        return json(res, 201, {
          link_token: token,
          redirect_url: `https://connect.composio.dev/link/${token}`,
          expires_at: new Date(Date.now() + 600_000).toISOString(),
          connected_account_id: account.id,
        });
      }
      if (url.pathname.startsWith('/api/v3/connected_accounts')) {
        accountRequests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
      }
      if (route === 'GET /api/v3/connected_accounts') {
        // Array filters arrive repeated (`a=x&a=y`) or comma-separated (`a=x,y`).
        const list = (name: string) =>
          url.searchParams.getAll(name).flatMap((v) => v.split(',').filter(Boolean));
        const [users, toolkits, statuses] = ['user_ids', 'toolkit_slugs', 'statuses'].map(list);
        const limit = Number(url.searchParams.get('limit') ?? 20);
        const start = Number(url.searchParams.get('cursor') ?? 0);
        const matching = accounts.filter(
          (a) =>
            (!users!.length || users!.includes(a.userId)) &&
            (!toolkits!.length || toolkits!.includes(a.toolkit)) &&
            (!statuses!.length || statuses!.includes(a.status)),
        );
        const page = matching.slice(start, start + limit);
        const next = start + page.length < matching.length ? String(start + page.length) : null;
        return json(res, 200, {
          items: page.map((a) => ({
            id: a.id,
            user_id: a.userId,
            status: a.status,
            status_reason: a.statusReason,
            is_disabled: false,
            toolkit: { slug: a.toolkit },
            auth_config: { id: a.authConfigId, is_composio_managed: true, is_disabled: false },
            created_at: a.createdAt,
            updated_at: a.updatedAt,
          })),
          next_cursor: next,
          total_pages: Math.max(1, Math.ceil(matching.length / limit)),
          current_page: Math.floor(start / limit) + 1,
        });
      }
      const one = /^\/api\/v3\/connected_accounts\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'DELETE' && one) {
        const at = accounts.findIndex((a) => a.id === one[1]);
        if (at < 0) return json(res, 404, { error: { message: 'Connected account not found' } });
        accounts.splice(at, 1);
        return json(res, 200, { success: true });
      }
      json(res, 404, { error: { message: `No route ${route}` } });
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
    });
  });
  function addAccount(
    userId: string,
    toolkit: string,
    status: FakeConnectedAccount['status'],
  ): FakeConnectedAccount {
    const now = new Date().toISOString();
    const account: FakeConnectedAccount = {
      id: `ca_${randomBytes(6).toString('hex')}`,
      userId,
      toolkit,
      authConfigId: authConfigs.find((c) => c.toolkit === toolkit)?.id ?? `ac_${toolkit}`,
      status,
      statusReason: null,
      createdAt: now,
      updatedAt: now,
    };
    accounts.push(account);
    return account;
  }

  const address = await listen(server);
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    mcp,
    servers,
    links,
    accounts,
    /** Every request to the connected-accounts endpoints, in order. */
    accountRequests,
    /**
     * Marks a user's account for a toolkit connected, as finishing the auth link would: the
     * latest INITIATED one becomes ACTIVE, or a new ACTIVE one is added.
     */
    connect(userId: string, toolkit: string): FakeConnectedAccount {
      const started = accounts.findLast(
        (a) => a.userId === userId && a.toolkit === toolkit && a.status === 'INITIATED',
      );
      const account = started ?? addAccount(userId, toolkit, 'ACTIVE');
      account.status = 'ACTIVE';
      account.updatedAt = new Date().toISOString();
      return account;
    },
    /** Sets an account's status, e.g. EXPIRED when its refresh token stopped working. */
    setStatus(id: string, status: FakeConnectedAccount['status'], reason: string | null = null) {
      const account = accounts.find((a) => a.id === id)!;
      account.status = status;
      account.statusReason = reason;
      account.updatedAt = new Date().toISOString();
    },
    async close() {
      await mcp.close();
      await closeServer(server);
    },
  };
}

export type FakeComposio = Awaited<ReturnType<typeof startFakeComposio>>;
