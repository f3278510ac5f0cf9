import { z } from 'zod';
import type { ProviderAccount } from '../../integrations/connections/index.js';
import { McpServerError } from '../errors.js';
import { requestJson } from './http-json.js';

/** Where the Connect API of one project is, and how to authenticate to it. */
export interface PipedreamConnectApi {
  apiUrl: string;
  projectId: string;
  environment: 'development' | 'production';
  /** The workspace's client-credentials access token. */
  token: () => Promise<string>;
}

const AUTH_HINT = 'Check PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID.';
// Pipedream pages at most 100 accounts; a user with more than 1,000 is not a person.
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

const account = z
  .object({
    id: z.string().min(1),
    name: z.string().nullish(),
    healthy: z.boolean().nullish(),
    dead: z.boolean().nullish(),
    error: z.string().nullish(),
    app: z.object({ name_slug: z.string() }).loose(),
    created_at: z.string().nullish(),
    updated_at: z.string().nullish(),
  })
  .loose();

const accountPage = z.object({
  data: z.array(account),
  page_info: z
    .object({ total_count: z.number().optional(), end_cursor: z.string().nullish() })
    .loose()
    .optional(),
});

const request = (api: PipedreamConnectApi, token: string) => ({
  headers: { authorization: `Bearer ${token}`, 'x-pd-environment': api.environment },
  service: 'Pipedream',
  provider: 'pipedream',
  authHint: AUTH_HINT,
});

const base = (api: PipedreamConnectApi) =>
  `${api.apiUrl}/v1/connect/${encodeURIComponent(api.projectId)}/accounts`;

/**
 * A user's connected accounts (`GET /v1/connect/{project_id}/accounts?external_user_id=...`),
 * every page. Pipedream filters by one app at most, so several apps are one unfiltered list.
 */
export async function listPipedreamAccounts(
  api: PipedreamConnectApi,
  userId: string,
  apps: readonly string[],
  timeoutMs?: number,
): Promise<ProviderAccount[]> {
  const accounts: ProviderAccount[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ external_user_id: userId, limit: String(PAGE_SIZE) });
    if (apps.length === 1) query.set('app', apps[0]!);
    if (after) query.set('after', after);
    const body = await requestJson(`${base(api)}?${query}`, accountPage, {
      ...request(api, await api.token()),
      timeoutMs,
    });
    accounts.push(...body.data.map(toAccount));
    const total = body.page_info?.total_count;
    after = body.page_info?.end_cursor ?? undefined;
    if (!body.data.length || !after || (total !== undefined && accounts.length >= total)) {
      const wanted = new Set(apps.map((a) => a.toLowerCase()));
      return accounts.filter((a) => wanted.has(a.app.toLowerCase()));
    }
  }
  throw new McpServerError(`Pipedream kept paginating the accounts of ${userId}.`, {
    provider: 'pipedream',
  });
}

/** `DELETE /v1/connect/{project_id}/accounts/{account_id}`; one already gone is fine. */
export async function deletePipedreamAccount(
  api: PipedreamConnectApi,
  accountId: string,
): Promise<void> {
  try {
    await requestJson(`${base(api)}/${encodeURIComponent(accountId)}`, z.unknown(), {
      ...request(api, await api.token()),
      method: 'DELETE',
    });
  } catch (err) {
    if (err instanceof McpServerError && err.serverCode === 404) return;
    throw err;
  }
}

function toAccount(a: z.output<typeof account>): ProviderAccount {
  return {
    id: a.id,
    app: a.app.name_slug,
    // `dead`: Pipedream gave up refreshing; `healthy: false`: its last use or refresh failed.
    state: a.dead || a.healthy === false ? 'needs_reconnect' : 'connected',
    label: a.name ?? null,
    createdAt: a.created_at ?? null,
    updatedAt: a.updated_at ?? null,
    error: a.error ?? null,
  };
}
