import { z } from 'zod';
import type {
  ProviderAccount,
  ProviderAccountState,
} from '../../integrations/connections/index.js';
import { McpServerError } from '../errors.js';
import type { JsonRequest } from './http-json.js';

/** One authenticated request to Composio's API (the provider's, with its key and errors). */
export type ComposioCall = <T>(
  path: string,
  schema: z.ZodType<T>,
  req: Pick<JsonRequest, 'body' | 'method' | 'timeoutMs'>,
) => Promise<T>;

const PAGE_SIZE = 100;
const MAX_PAGES = 10;

const account = z
  .object({
    id: z.string().min(1),
    status: z.string(),
    toolkit: z.object({ slug: z.string() }).loose(),
    status_reason: z.string().nullish(),
    is_disabled: z.boolean().nullish(),
    created_at: z.string().nullish(),
    updated_at: z.string().nullish(),
  })
  .loose();

const accountPage = z
  .object({ items: z.array(account), next_cursor: z.string().nullish() })
  .loose();

// INITIATED/INITIALIZING: a link was opened and not finished. FAILED, EXPIRED and INACTIVE
// accounts exist but do not work until the user connects again.
const STATES: Readonly<Record<string, ProviderAccountState>> = {
  ACTIVE: 'connected',
  INITIATED: 'pending',
  INITIALIZING: 'pending',
};

/**
 * A user's connected accounts for these toolkits
 * (`GET /api/v3/connected_accounts?user_ids=...&toolkit_slugs=...`), every page.
 */
export async function listComposioAccounts(
  call: ComposioCall,
  userId: string,
  toolkits: readonly string[],
  timeoutMs?: number,
): Promise<ProviderAccount[]> {
  if (!toolkits.length) return [];
  const accounts: ProviderAccount[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ user_ids: userId, limit: String(PAGE_SIZE) });
    for (const toolkit of toolkits) query.append('toolkit_slugs', toolkit);
    if (cursor) query.set('cursor', cursor);
    const body = await call(`/api/v3/connected_accounts?${query}`, accountPage, { timeoutMs });
    accounts.push(...body.items.map(toAccount));
    cursor = body.next_cursor ?? undefined;
    if (!cursor || !body.items.length) return accounts;
  }
  throw new McpServerError(`Composio kept paginating the connected accounts of ${userId}.`, {
    provider: 'composio',
  });
}

/** `DELETE /api/v3/connected_accounts/{id}`; one already gone is fine. */
export async function deleteComposioAccount(call: ComposioCall, accountId: string): Promise<void> {
  try {
    await call(`/api/v3/connected_accounts/${encodeURIComponent(accountId)}`, z.unknown(), {
      method: 'DELETE',
    });
  } catch (err) {
    if (err instanceof McpServerError && err.serverCode === 404) return;
    throw err;
  }
}

function toAccount(a: z.output<typeof account>): ProviderAccount {
  const state = a.is_disabled ? 'needs_reconnect' : (STATES[a.status] ?? 'needs_reconnect');
  return {
    id: a.id,
    app: a.toolkit.slug,
    state,
    label: null,
    createdAt: a.created_at ?? null,
    updatedAt: a.updated_at ?? null,
    error:
      state === 'needs_reconnect'
        ? (a.status_reason ??
          `The account is ${a.is_disabled ? 'disabled' : a.status} at Composio.`)
        : null,
  };
}
