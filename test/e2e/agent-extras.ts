import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { EncryptionCodec } from '../../lib/crypto/index.js';
import { createLoginLink } from '../../web/server/index.js';
import type { TestApp } from '../helpers/app.js';
import type { ApiInit } from '../helpers/http.js';

/** JWT secret the agent tests' apps run with, so a test can sign members in. */
export const AGENT_JWT_SECRET = 'agent-tests-jwt-secret-0123456789abcdefghij';

/**
 * A second portal user (role member) with a real session: signed in through a login link,
 * sending the session cookie and its CSRF token as the portal does.
 */
export async function signInMember(
  app: TestApp,
  displayName: string,
): Promise<{ id: string; api(pathname: string, init?: ApiInit): Promise<Response> }> {
  const user = await app.database.prisma.user.create({ data: { displayName, role: 'member' } });
  const { url } = await createLoginLink(AGENT_JWT_SECRET, app.url, { userId: user.id });
  const signIn = await fetch(`${app.url}/auth/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: new URL(url).searchParams.get('token') }),
  });
  if (signIn.status !== 200) throw new Error(`sign-in failed: ${signIn.status}`);
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  const session = await fetch(`${app.url}/api/session`, { headers: { cookie } });
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  return {
    id: user.id,
    api: (pathname, init = {}) => {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('cookie', cookie);
      headers.set('x-csrf-token', csrfToken);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${app.url}${pathname}`, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
  };
}

/** What replaying needs of a running Dynamiq (a TestApp, or an api role on its own). */
type AppParts = Pick<TestApp, 'database' | 'temporal' | 'keyring'>;

/** The Temporal workflow id of a stored conversation. */
export async function workflowIdOf(app: AppParts, conversationId: string): Promise<string> {
  const row = await app.database.prisma.conversation.findUniqueOrThrow({
    where: { id: conversationId },
    select: { workflowId: true },
  });
  return row.workflowId;
}

/**
 * Replays the recorded histories of these conversations' workflows against today's workflow
 * bundle (payloads decrypted with the app's keyring, as a worker does). Resolves to the number
 * replayed; rejects with the first determinism error.
 */
export async function replayConversations(
  app: AppParts,
  conversationIds: string[],
): Promise<number> {
  const histories = [];
  for (const id of conversationIds) {
    const workflowId = await workflowIdOf(app, id);
    const history = await app.temporal!.workflow.getHandle(workflowId).fetchHistory();
    histories.push({ workflowId, history });
  }
  const dataConverter = { payloadCodecs: [new EncryptionCodec(app.keyring)] };
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code: inject('workflowBundle') }, dataConverter },
    histories,
  )) {
    if (result.error) throw result.error;
    replayed++;
  }
  return replayed;
}
