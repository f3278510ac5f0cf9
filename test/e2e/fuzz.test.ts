// The whole HTTP API fuzzed from its own OpenAPI description: malformed, oversized and wrongly
// typed requests on every route and method, with and without credentials. Nothing may answer
// 5xx, no promise may be left rejected, and a refused request may not change the database.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_FIELDS, catalog } from '../../integrations/index.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startFakeSlack } from '../fakes/slack/web-api.js';
import type { FakeSlack } from '../fakes/slack/web-api.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { operationsOf, requestsFor } from '../helpers/openapi-fuzz.js';
import type { Credentials, FuzzContext, FuzzRequest, OpenApiDoc } from '../helpers/openapi-fuzz.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** Requests without valid credentials (public routes still answer), then with them. */
const ANONYMOUS_RUNS = 900;
const SIGNED_IN_RUNS = 1500;
const BODY_LIMIT = 256 * 1024;
/**
 * Left out of the counts: the broker sums refusals of requests without a valid token and writes
 * them as one row a minute, from a timer, so such a row lands during whichever request is in
 * flight then. Every other row of every table is counted.
 */
const COUNTED_AUDIT_ROWS = `action <> 'credential.refused_unauthenticated'`;
/** How long a response body is read before the request is dropped (event streams stay open). */
const READ_MS = 500;

/** A fresh Ed25519 public key, as the 64 hex characters Discord shows. */
function discordPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
}

/**
 * Stands in for every integration's provider, so no fuzzed request leaves the machine: it
 * registers OAuth clients (RFC 7591) and answers everything else 401, as a provider does to a
 * key or token it does not know.
 */
async function startRefusingProvider(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url?.endsWith('/registrationUrl')) {
        const asked = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<
          string,
          unknown
        >;
        const auth = (asked.token_endpoint_auth_method as string | undefined) ?? 'none';
        res.statusCode = 201;
        res.end(
          JSON.stringify({
            ...asked,
            client_id: `fuzz-client-${Date.now()}`,
            ...(auth === 'none'
              ? {}
              : { client_secret: 'fuzz-secret', client_secret_expires_at: 0 }),
          }),
        );
        return;
      }
      res.statusCode = 401;
      res.end(JSON.stringify({ error: 'invalid_token', message: 'Bad credentials' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every endpoint of every catalog integration, pointed at `base` (INTEGRATION_ENDPOINTS). */
function endpointsAt(base: string): string {
  const overrides: Record<string, Record<string, string>> = {};
  for (const i of catalog) {
    const has: Record<string, string | undefined> = {
      apiBaseUrl: i.apiBaseUrl,
      authorizeUrl: i.oauth?.authorizeUrl,
      tokenUrl: i.oauth?.tokenUrl,
      revokeUrl: i.oauth?.revokeUrl,
      registrationUrl: i.oauth?.registrationUrl,
      mcpServerUrl: i.mcp?.serverUrl,
    };
    overrides[i.id] = Object.fromEntries(
      ENDPOINT_FIELDS.filter((f) => has[f]).map((f) => [f, `${base}/${i.id}/${f}`]),
    );
  }
  return JSON.stringify(overrides);
}

/** Which tables' row counts differ, or undefined. */
function changed(
  before: Record<string, number>,
  after: Record<string, number>,
): string | undefined {
  const diff = Object.keys({ ...before, ...after })
    .filter((t) => before[t] !== after[t])
    .map((t) => `${t} ${before[t] ?? 0}→${after[t] ?? 0}`);
  return diff.length ? diff.join(', ') : undefined;
}

interface Answer {
  status: number;
  body: string;
}

/** Sends exactly these bytes (no URL normalisation), reads at most READ_MS of the answer. */
function send(base: URL, req: FuzzRequest, from: string): Promise<Answer> {
  return new Promise((resolve) => {
    let status = 0;
    const r = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        headers: {
          ...req.headers,
          ...(req.body ? { 'content-length': String(req.body.length) } : {}),
        },
        localAddress: from,
        agent: false,
      },
      (res) => {
        status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        };
        const timer = setTimeout(() => {
          res.destroy();
          done();
        }, READ_MS);
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      },
    );
    r.on('error', (err: NodeJS.ErrnoException) => {
      // A server that refuses an oversized body may close the socket before reading it all.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET')
        resolve({ status: status || -1, body: err.message });
      // Bytes after the answer's head: Fastify's own 4xx for a request it could not parse (431)
      // carries a body even to HEAD. The status was read; anything else is no HTTP answer.
      else resolve({ status, body: `${err.code ?? ''} ${err.message}` });
    });
    r.end(req.body);
  });
}

describe('the HTTP API, fuzzed from its OpenAPI description', () => {
  let llm: FakeOpenAI;
  let slack: FakeSlack;
  let provider: Awaited<ReturnType<typeof startRefusingProvider>>;
  let app: TestApp;
  let db: pg.Client;
  let doc: OpenApiDoc;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => void rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    llm = await startFakeOpenAI({ reply: () => 'fuzz answer' });
    slack = await startFakeSlack({
      tokens: { 'xoxb-fuzz': { teamId: 'T0FUZZ', botUserId: 'UBOT', botId: 'B0BOT' } },
    });
    provider = await startRefusingProvider();
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      INTEGRATION_ENDPOINTS: endpointsAt(provider.url),
      SLACK_SIGNING_SECRET: 'slack-signing-secret-for-fuzz',
      SLACK_BOT_TOKEN: 'xoxb-fuzz',
      SLACK_API_URL: slack.apiUrl,
      // Discord's and Teams' endpoints: every fuzzed request fails its signature or JWT check
      // before anything would reach the platform (nothing listens at port 9).
      DISCORD_BOT_TOKEN: 'fake-bot-token.fuzz',
      DISCORD_PUBLIC_KEY: discordPublicKey(),
      DISCORD_APPLICATION_ID: '1200000000000000002',
      DISCORD_API_URL: 'http://127.0.0.1:9/api',
      MICROSOFT_APP_ID: '9f1c3e2a-0000-4000-8000-00000000f022',
      MICROSOFT_APP_PASSWORD: 'teams-secret-for-fuzz',
      MICROSOFT_OPENID_METADATA_URL: 'http://127.0.0.1:9/openid',
      MICROSOFT_EMULATOR_OPENID_METADATA_URL: 'http://127.0.0.1:9/openid-emulator',
      MICROSOFT_TOKEN_URL: 'http://127.0.0.1:9/token',
    });
    db = new pg.Client({ connectionString: app.env.DATABASE_URL });
    await db.connect();
    const res = await app.api('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await db?.end();
    await app?.close();
    await slack?.close();
    await provider?.close();
    await llm?.close();
  });

  /** Row counts of every table of the test's database, in one query. */
  let countSql: string | undefined;
  async function counts(): Promise<Record<string, number>> {
    if (!countSql) {
      const tables = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      countSql = tables.rows
        .map(
          (t) =>
            `SELECT '${t.table_name}' AS t, count(*)::int AS n FROM "${t.table_name}"` +
            (t.table_name === 'AuditEvent' ? ` WHERE ${COUNTED_AUDIT_ROWS}` : ''),
        )
        .join(' UNION ALL ');
    }
    const rows = await db.query<{ t: string; n: number }>({ name: 'fuzz-counts', text: countSql });
    return Object.fromEntries(rows.rows.map((r) => [r.t, r.n]));
  }

  /**
   * Waits until the turn a POST of a message started has been recorded and finished, and the
   * counts hold still: the workflow writes after the POST has answered.
   */
  async function settleTurn(turnsBefore: number): Promise<void> {
    const until = Date.now() + 15_000;
    let last = '';
    while (Date.now() < until) {
      const now = await counts();
      const active = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Turn" WHERE status IN ('queued', 'running')`,
      );
      const key = JSON.stringify(now);
      if ((now.Turn ?? 0) > turnsBefore && active.rows[0]!.n === 0 && key === last) return;
      last = key;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A member signed in to the portal the way a browser is: link, POST, cookie, CSRF token. */
  async function memberSession(): Promise<{ cookie: string; csrf: string; userId: string }> {
    const prisma = app.database.prisma;
    const user = await prisma.user.create({ data: { displayName: 'Fuzz member', role: 'member' } });
    const identity = await prisma.chatIdentity.create({
      data: {
        userId: user.id,
        platform: 'web',
        workspaceId: 'local',
        platformUserId: user.id,
        displayName: user.displayName,
      },
    });
    const link = (await (
      await app.api('/api/auth/links', { method: 'POST', json: { identityId: identity.id } })
    ).json()) as { url: string };
    const token = new URL(link.url).searchParams.get('token')!;
    const signIn = await fetch(`${app.url}/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const session = (await (
      await fetch(`${app.url}/api/session`, { headers: { cookie } })
    ).json()) as { csrfToken: string };
    return { cookie, csrf: session.csrfToken, userId: user.id };
  }

  it('answers no 5xx, leaves no rejection, and writes nothing for a refused request', async () => {
    const base = new URL(app.url);
    const conversation = (await (
      await app.api('/api/conversations', { method: 'POST', json: { title: 'fuzzed' } })
    ).json()) as { conversation: { id: string } };
    const member = await memberSession();
    const knownIds = [conversation.conversation.id, app.admin.id, member.userId];
    const integrations = (await (await app.api('/api/integrations')).json()) as {
      integrations: Array<{ id: string }>;
    };
    const apps = (await (await app.api('/api/mcp/apps')).json()) as { apps: Array<{ id: string }> };
    const knownSegments = [
      ...integrations.integrations.map((i) => i.id),
      ...apps.apps.map((a) => a.id),
      'fuzz-app',
    ];
    const forgedJwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.' +
      'c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtbWF0Y2g';
    const anonymous: Credentials[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Basic ${app.token}` },
      { authorization: `Bearer ${forgedJwt}` },
      { authorization: 'Bearer' },
      { authorization: 'x'.repeat(9000) },
      { cookie: 'dynamiq_session=forged' },
      { cookie: 'dynamiq_session=' + '%'.repeat(50) },
      // A session without its CSRF token is refused for anything but a safe method.
      { cookie: member.cookie },
      {
        'x-slack-signature': 'v0=00',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      {
        'x-signature-ed25519': '00'.repeat(64),
        'x-signature-timestamp': String(Math.floor(Date.now() / 1000)),
      },
    ];
    const signedIn: Credentials[] = [
      { authorization: `Bearer ${app.token}` },
      { cookie: member.cookie, 'x-csrf-token': member.csrf },
    ];
    const ops = operationsOf(doc);
    const ctx = (credentials: Credentials[]): FuzzContext => ({
      knownIds,
      knownSegments,
      bodyLimit: BODY_LIMIT,
      credentials,
    });
    const sample = (credentials: Credentials[], numRuns: number, seed: number) =>
      fc.sample(fc.oneof(...ops.map((op) => requestsFor(op, ctx(credentials)))), { numRuns, seed });

    const failures: string[] = [];
    const dbChanges: string[] = [];
    const byStatus = new Map<number, number>();
    const routesHit = new Set<string>();
    let sent = 0;
    let dbChecked = 0;
    // The api limits requests and refusals per address (rate-limits.ts), and the whole
    // product runs here with its defaults: each run of 40 requests comes from its own loopback
    // address, so the fuzz reaches the routes rather than the limiter (429 is still fine).
    const from = () => `127.0.${Math.floor(sent / 10_000)}.${2 + (Math.floor(sent / 40) % 250)}`;
    const record = (req: FuzzRequest, res: Answer) => {
      sent++;
      routesHit.add(req.operation);
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      if (res.status >= 500 || res.status === 0) {
        failures.push(
          `${res.status} for ${req.method} ${req.path.slice(0, 200)} (${req.shape}; headers ${Object.keys(req.headers).join(',')}): ${res.body.slice(0, 300)}`,
        );
      }
    };

    // Every request is checked on its own: a refused one (4xx) leaves every table as it was;
    // an accepted one may write, and a turn goes on writing after its POST, so the next check
    // first waits for it to finish. 1: without valid credentials (a session cookie without its
    // CSRF token still reads); 2: as the administrator (bearer) and a signed-in member (cookie
    // and CSRF token).
    const requests = [
      ...sample(anonymous, ANONYMOUS_RUNS, SEED),
      ...sample(signedIn, SIGNED_IN_RUNS, SEED + 1),
    ];
    let before = await counts();
    for (const req of requests) {
      const res = await send(base, req, from());
      record(req, res);
      if (res.status >= 400 && res.status < 500) {
        const after = await counts();
        const diff = changed(before, after);
        if (diff)
          dbChanges.push(
            `${diff} by a refused ${req.method} ${req.path.slice(0, 200)} (${res.status}, ${req.shape})`,
          );
        dbChecked++;
        before = after;
      } else if (res.status >= 200 && res.status < 300) {
        if (req.method === 'POST' && req.operation.endsWith('/messages'))
          await settleTurn(before.Turn ?? 0);
        before = await counts();
      }
    }

    const statuses = [...byStatus.entries()].sort((a, b) => a[0] - b[0]);
    const paths = new Set(ops.map((op) => op.path)).size;
    console.log(
      `fuzz: ${sent} requests, ${paths} routes (${routesHit.size} of ${ops.length} operations), ` +
        `${failures.length} 5xx; ${dbChecked} refused requests checked against the database; ` +
        `statuses ${statuses.map(([s, n]) => `${s}:${n}`).join(' ')}; seed ${SEED}`,
    );
    expect(routesHit.size).toBe(ops.length);
    expect(failures, `seed ${SEED} (FUZZ_SEED=${SEED} reproduces it)`).toEqual([]);
    expect(dbChanges, `seed ${SEED}`).toEqual([]);
    expect(rejections).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(2_000);
  }, 180_000);
});
