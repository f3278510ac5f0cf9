import type { z } from 'zod';
import {
  approvalDecisionResponse,
  auditResponse,
  awsTrustResponse,
  adminUsersResponse,
  budgetSchema,
  budgetsResponse,
  channelPoliciesResponse,
  channelPolicySchema,
  deletedResponse,
  cancelTurnResponse,
  cloudCredentialResponse,
  cloudCredentialsResponse,
  connectResponse,
  conversationDetailResponse,
  conversationResponse,
  conversationStreamEvents,
  disconnectResponse,
  errorBody,
  integrationsResponse,
  listConversationsResponse,
  readinessResponse,
  sandboxConsentResponse,
  sessionResponse,
  signInLinkInfo,
  signInResponse,
  statusResponse,
} from '../../../contract/index.js';
import type {
  AdminUsersResponse,
  ApprovalDecisionBody,
  ChannelPolicyBody,
  AwsCredentialInput,
  ConnectBody,
  ConversationStreamEvent,
  GcpCredentialInput,
  PostMessageBody,
} from '../../../contract/index.js';
import { readSse } from './sse.js';

export type AdminUser = AdminUsersResponse['users'][number];

/** An answer other than success; `code` is the API's stable error code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  /** Defaults to the browser's fetch; tests hand in their own. */
  fetch?: typeof fetch;
  /** Called when the session has ended (a 401 on /api): the page keeps what was typed. */
  onUnauthorized?: () => void;
}

type Schema<T> = z.ZodType<T>;

/**
 * The portal's typed client. Every answer is checked against the contract the server
 * shares (web/contract), so a drifting server fails loudly here, not in a page.
 */
export function createApi(opts: ApiOptions = {}) {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  let csrfToken: string | null = null;

  async function send(method: string, url: string, body?: unknown, signal?: AbortSignal) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
    const res = await doFetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await errorOf(res, url);
    return res;
  }

  async function errorOf(res: Response, url: string): Promise<ApiError> {
    const parsed = errorBody.safeParse(await res.json().catch(() => null));
    const error = parsed.success
      ? new ApiError(res.status, parsed.data.error.code, parsed.data.error.message)
      : new ApiError(res.status, 'http_error', `The server answered ${res.status}.`);
    if (res.status === 401 && url.startsWith('/api/')) opts.onUnauthorized?.();
    return error;
  }

  // GETs started early (while the session is checked), each taken by the first call for it.
  const early = new Map<string, Promise<unknown>>();
  async function json<T>(schema: Schema<T>, method: string, url: string, body?: unknown) {
    const prefetched = method === 'GET' ? early.get(url) : undefined;
    if (prefetched) {
      early.delete(url);
      return schema.parse(await prefetched);
    }
    const res = await send(method, url, body);
    return schema.parse(await res.json());
  }
  function prefetch(url: string) {
    if (early.has(url)) return;
    const answer = send('GET', url).then((res) => res.json() as Promise<unknown>);
    answer.catch(() => undefined);
    early.set(url, answer);
  }

  /** Streams a conversation's events; resolves when the server ends the stream. */
  async function stream(
    res: Response,
    onEvent: (event: ConversationStreamEvent) => void,
  ): Promise<void> {
    if (!res.body) return;
    await readSse(res.body, (m) => {
      const schema = conversationStreamEvents[m.event as keyof typeof conversationStreamEvents];
      if (!schema) return;
      const data = schema.parse(JSON.parse(m.data));
      onEvent({ event: m.event, data, ...(m.id ? { id: m.id } : {}) } as ConversationStreamEvent);
    });
  }

  const enc = encodeURIComponent;
  const query = (params: Record<string, string | number | boolean | undefined | null>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v != null) q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  };

  return {
    /** The signed-in user; throws ApiError 401 when there is no session. */
    async session() {
      const answer = await json(sessionResponse, 'GET', '/api/session');
      csrfToken = answer.csrfToken;
      return answer;
    },
    signInInfo: (token: string) =>
      json(signInLinkInfo, 'GET', `/auth/link/info${query({ token })}`),
    signIn: (token: string) => json(signInResponse, 'POST', '/auth/link', { token }),
    async logout() {
      await send('POST', '/api/auth/logout');
      csrfToken = null;
    },

    /**
     * Starts loading what the page people land on shows, while the session is still being
     * checked; the page's own call then takes that answer.
     */
    prefetch(page: { integrations: true } | { conversationId: string }) {
      prefetch(
        'integrations' in page
          ? '/api/integrations'
          : `/api/conversations/${enc(page.conversationId)}`,
      );
    },
    integrations: (refresh = false) =>
      json(integrationsResponse, 'GET', `/api/integrations${query({ refresh: refresh || null })}`),
    connect: (id: string, body?: ConnectBody) =>
      json(connectResponse, 'POST', `/api/integrations/${enc(id)}/connect`, body ?? {}),
    disconnect: (id: string) =>
      json(disconnectResponse, 'DELETE', `/api/integrations/${enc(id)}/disconnect`),
    setSandboxConsent: (id: string, allow: boolean) =>
      json(sandboxConsentResponse, 'PUT', `/api/integrations/${enc(id)}/sandbox-consent`, {
        allow,
      }),

    cloudCredentials: () => json(cloudCredentialsResponse, 'GET', '/api/cloud/credentials'),
    awsTrust: () => json(awsTrustResponse, 'GET', '/api/cloud/aws/external-id'),
    addAws: (input: AwsCredentialInput) =>
      json(cloudCredentialResponse, 'POST', '/api/cloud/credentials/aws', input),
    addGcp: (input: GcpCredentialInput) =>
      json(cloudCredentialResponse, 'POST', '/api/cloud/credentials/gcp', input),
    async deleteCloudCredential(id: string) {
      await send('DELETE', `/api/cloud/credentials/${enc(id)}`);
    },
    audit: (opts: { before?: string | null; limit?: number } = {}) =>
      json(auditResponse, 'GET', `/api/audit${query(opts)}`),

    conversations: (opts: { before?: string | null; limit?: number } = {}) =>
      json(listConversationsResponse, 'GET', `/api/conversations${query(opts)}`),
    conversation: (id: string) =>
      json(conversationDetailResponse, 'GET', `/api/conversations/${enc(id)}`),
    createConversation: (title?: string) =>
      json(conversationResponse, 'POST', '/api/conversations', title ? { title } : {}),
    /** Sends a message and streams the answer: `accepted`, `token`s, then `message`. */
    async sendMessage(
      id: string,
      body: PostMessageBody,
      onEvent: (event: ConversationStreamEvent) => void,
      signal?: AbortSignal,
    ) {
      const res = await send('POST', `/api/conversations/${enc(id)}/messages`, body, signal);
      await stream(res, onEvent);
    },
    /** Approves or denies a pending approval; 403 when the caller may not decide it. */
    decideApproval: (id: string, approvalId: string, body: ApprovalDecisionBody) =>
      json(
        approvalDecisionResponse,
        'POST',
        `/api/conversations/${enc(id)}/approvals/${enc(approvalId)}`,
        body,
      ),
    /** Cancels the conversation's running turn; 409 when nothing runs. */
    cancelTurn: (id: string) =>
      json(cancelTurnResponse, 'POST', `/api/conversations/${enc(id)}/cancel`, {}),
    /** Follows a conversation from after the stored row with sequence number `after`. */
    async follow(
      id: string,
      after: number,
      onEvent: (event: ConversationStreamEvent) => void,
      signal?: AbortSignal,
    ) {
      const res = await send(
        'GET',
        `/api/conversations/${enc(id)}/events${query({ after })}`,
        undefined,
        signal,
      );
      await stream(res, onEvent);
    },

    async readiness() {
      // 503 still carries the parts; it is an answer, not a failure of the page.
      const res = await doFetch('/readyz', { headers: { accept: 'application/json' } });
      return readinessResponse.parse(await res.json());
    },
    status: () => json(statusResponse, 'GET', '/api/status'),
    admin: {
      users: () => json(adminUsersResponse, 'GET', '/api/admin/users'),
      budgets: () => json(budgetsResponse, 'GET', '/api/admin/budgets'),
      setBudget: (
        scope: 'user' | 'channel',
        subject: string,
        body: { tokensPerDay: number | null; costUsdPerDay: number | null },
      ) => json(budgetSchema, 'PUT', `/api/admin/budgets/${enc(scope)}/${enc(subject)}`, body),
      deleteBudget: (scope: 'user' | 'channel', subject: string) =>
        json(deletedResponse, 'DELETE', `/api/admin/budgets/${enc(scope)}/${enc(subject)}`),
      channelPolicies: () => json(channelPoliciesResponse, 'GET', '/api/admin/channel-policies'),
      setChannelPolicy: (channelKey: string, body: ChannelPolicyBody) =>
        json(channelPolicySchema, 'PUT', `/api/admin/channel-policies/${enc(channelKey)}`, body),
      deleteChannelPolicy: (channelKey: string) =>
        json(deletedResponse, 'DELETE', `/api/admin/channel-policies/${enc(channelKey)}`),
    },
  };
}

export type Api = ReturnType<typeof createApi>;
