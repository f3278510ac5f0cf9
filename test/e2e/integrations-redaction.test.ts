// Secrets never leave through logs, API responses, error messages or audit rows: a whole
// connect → refresh → failure → reconnect → disconnect run is captured at trace level (with no
// pino redaction configured, so nothing is hidden after the fact) and searched for every token.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeKeyApi } from '../fakes/oauth/key-api.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

const GOOD = 'neon_redaction_good_1b7c44';
const BAD = 'neon_redaction_bad_90ee21';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let provider: FakeOAuthProvider;
let vendor: Awaited<ReturnType<typeof startFakeKeyApi>>;
let server: IntegrationsServer;
const logs: string[] = [];
const responses: string[] = [];
const codes: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  provider = await startFakeOAuthProvider();
  vendor = await startFakeKeyApi({ accept: (r) => r.headers.authorization === `Bearer ${GOOD}` });
  server = await startIntegrationsServer({
    database: db.database,
    env: {
      OAUTH_GITLAB_CLIENT_ID: provider.clientId,
      OAUTH_GITLAB_CLIENT_SECRET: provider.clientSecret,
    },
    endpointOverrides: { gitlab: provider.endpoints, neon: { apiBaseUrl: vendor.baseUrl } },
    logStream: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await vendor?.close();
  await db?.drop();
});

async function record(res: Response): Promise<Response> {
  const body = await res.text();
  responses.push(`${res.status} ${JSON.stringify([...res.headers])}\n${body}`);
  return new Response(body, { status: res.status, headers: res.headers });
}

async function connectGitlab(): Promise<Response> {
  const flow = await server.authorize('gitlab');
  codes.push(new URL(flow.callbackUrl).searchParams.get('code')!);
  return record(await server.callback(flow.callbackUrl, flow.cookie));
}

const get = () => server.connections.getAccessToken(server.admin.id, 'gitlab');
const expire = () =>
  db.database.prisma.connection.updateMany({
    where: { integrationId: 'gitlab' },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });

describe('redaction', () => {
  it('keeps every token out of logs, responses, errors and audit rows', async () => {
    expect((await connectGitlab()).status).toBe(302);
    await record(await server.api('/api/integrations'));
    await expire();
    await get();
    await expire();
    provider.forceTokenStatus(503);
    const transient = await get().catch((e: Error) => e);
    provider.forceTokenStatus(undefined);
    provider.invalidateRefreshTokens();
    const rejected = await get().catch((e: Error) => e);
    await record(await server.api('/api/integrations/gitlab'));

    // A failed code exchange is a 502 the server logs.
    provider.forceTokenStatus(503);
    expect((await connectGitlab()).status).toBe(502);
    provider.forceTokenStatus(undefined);
    expect((await connectGitlab()).status).toBe(302);

    for (const token of [GOOD, BAD]) {
      await record(
        await server.api('/api/integrations/neon/connect', {
          method: 'POST',
          json: { credentials: { token } },
        }),
      );
    }
    await record(await server.api('/api/integrations/agent-context'));
    provider.forceRevokeStatus(503);
    await record(await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' }));
    provider.forceRevokeStatus(undefined);
    await record(await server.api('/api/integrations/neon/disconnect', { method: 'DELETE' }));
    expect((await connectGitlab()).status).toBe(302);
    await record(await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' }));

    const audit = await db.database.prisma.auditEvent.findMany();
    const errors = [transient, rejected].map(
      (e) => `${(e as Error).message} ${String((e as Error).cause ?? '')}`,
    );

    // The capture works: the flow's failures did reach it.
    const logText = logs.join('');
    expect(logText).toContain('dynamiq.connections.provider_error');
    expect(responses.join('\n')).toContain('needs_reconnect');
    expect(responses.join('\n')).toContain('The provider rejected this key');
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'connection.connected',
        'connection.refreshed',
        'connection.refresh_failed',
        'connection.connect_failed',
        'connection.revoke_failed',
        'connection.disconnected',
      ]),
    );

    const secrets = [...provider.issuedTokens(), GOOD, BAD, provider.clientSecret];
    expect(secrets.length).toBeGreaterThan(8);
    const places = {
      logs: logText,
      responses: responses.join('\n'),
      errors: errors.join('\n'),
      audit: JSON.stringify(audit),
    };
    for (const secret of secrets) {
      for (const [place, text] of Object.entries(places)) {
        expect({ place, leaked: text.includes(secret) }).toEqual({ place, leaked: false });
      }
    }
    // Authorization codes are one-time secrets too; they must not be logged either.
    for (const code of codes) expect(logText).not.toContain(code);
  });
});
