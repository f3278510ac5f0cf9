// The API proxy's edges, through its real route and broker on PostgreSQL, against a local
// upstream: encoded slashes that a decoding upstream would walk out of the API base with, a
// chunked body past the 10 MiB limit (no Content-Length to check), and upstream cookies and
// redirects, which must not reach the sandbox as they are.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialBroker } from '../../broker/index.js';
import { Connections } from '../../integrations/connections/index.js';
import { keyringOf } from '../../lib/crypto/index.js';
import { INTEGRATION_OPERATIONS, signSandboxToken } from '../../lib/sandbox-access/index.js';
import { ensureAdmin } from '../../web/server/auth.js';
import { errorHandler, frameworkErrorHandler } from '../../web/server/errors.js';
import { integrationBrokerRoutes } from '../../web/server/routes/integration-broker.js';
import { freshDatabase, newMasterKey } from '../fakes/oauth/harness.js';

const JWT_SECRET = randomBytes(32).toString('hex');
const DD = { apiKey: `dd_api_${randomBytes(6).toString('hex')}`, appKey: 'dd_app_x' };
const MIB = 1024 * 1024;

interface Seen {
  method: string;
  url: string;
  bytes: number;
  complete: boolean;
}

let db: Awaited<ReturnType<typeof freshDatabase>>;
let upstream: http.Server;
let upstreamUrl: string;
const seen: Seen[] = [];
let closeApp: (() => Promise<void>) | undefined;
let proxyUrl: string;
let token: string;

/** Datadog's API, as far as this test needs it: answers once it has read the whole body. */
function startUpstream() {
  const server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method!, url: req.url!, bytes: 0, complete: false };
    seen.push(entry);
    req.on('data', (c: Buffer) => (entry.bytes += c.length));
    req.on('end', () => {
      entry.complete = true;
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      let status = 200;
      if (req.url!.startsWith('/dd/cookie')) {
        headers['set-cookie'] = ['dynamiq_session=stolen; Path=/', 'other=1'];
      }
      if (req.url!.startsWith('/dd/moved')) {
        status = 302;
        headers.location = `${upstreamUrl}/dd/api/v2/new?page=2`;
        headers['content-location'] = '/dd/api/v2/here';
      }
      if (req.url!.startsWith('/dd/away')) {
        status = 301;
        headers.location = 'https://evil.example/collect';
      }
      res.writeHead(status, headers).end(JSON.stringify({ ok: true, bytes: entry.bytes }));
    });
  });
  return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)).then(() => {
    upstream = server;
    upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  await startUpstream();
  const log = pino({ level: 'silent' });
  const keyring = keyringOf(newMasterKey());
  const admin = await ensureAdmin(db.database.prisma);
  const connections = new Connections({
    db: db.database.prisma,
    keyring,
    log,
    publicUrl: 'http://127.0.0.1:9',
    oauthClients: new Map(),
    endpointOverrides: { datadog: { apiBaseUrl: `${upstreamUrl}/dd` } },
  });
  await connections.connectWithKeys(admin.id, 'datadog', { credentials: DD });
  const broker = new CredentialBroker({
    db: db.database.prisma,
    keyring,
    jwtSecret: JWT_SECRET,
    connections,
  });
  const app = Fastify({ loggerInstance: log, frameworkErrors: frameworkErrorHandler });
  closeApp = () => app.close();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(log));
  await app.register(fastifyCookie);
  await app.register(async (scope) => integrationBrokerRoutes(scope, { broker, connections }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  proxyUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/proxy/datadog`;
  token = await signSandboxToken(
    {
      userId: admin.id,
      conversationId: 'conv-proxy',
      sandboxId: 'sbx-proxy',
      scopes: { apps: ['datadog'], operations: [INTEGRATION_OPERATIONS.proxy] },
    },
    JWT_SECRET,
  );
  seen.length = 0;
});

afterAll(async () => {
  await closeApp?.();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  await db?.drop();
});

const auth = () => ({ authorization: `Bearer ${token}` });

/** A raw HTTP/1.1 request, so the path goes out exactly as written (fetch would normalize it). */
function rawRequest(
  path: string,
  opts: { method?: string; body?: (req: http.ClientRequest) => void } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method ?? 'GET',
        path: `${url.pathname}${path}`,
        headers: auth(),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    // The proxy may answer and close while a body is still being written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (opts.body) opts.body(req);
    else req.end();
  });
}

describe('the API proxy', () => {
  it('forwards an ordinary request under the API base (the baseline)', async () => {
    const res = await rawRequest('/api/v1/validate');
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ url: '/dd/api/v1/validate' });
  });

  it('refuses encoded slashes, backslashes and dot segments before reaching the upstream', async () => {
    const before = seen.length;
    for (const path of [
      '/api/..%2F..%2Fadmin',
      '/api/v1/..%2f..%2f..%2fadmin',
      '/%2e%2e%2Fadmin',
      '/api/v1%5C..%5Cadmin',
      '/api/.%2e/secret',
    ]) {
      const res = await rawRequest(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'dynamiq.http.invalid_path' } });
    }
    // A path that does not decode at all is refused by the router, in the same envelope.
    const bad = await rawRequest('/api/%zz');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'dynamiq.http.bad_request' } });
    expect(seen.length).toBe(before);
  });

  it('cuts off a chunked body past 10 MiB with a 413; the upstream never gets all of it', async () => {
    const before = seen.length;
    const chunk = Buffer.alloc(MIB, 0x61);
    const res = await rawRequest('/api/v2/series', {
      method: 'POST',
      body: (req) => {
        // No Content-Length: Node sends Transfer-Encoding: chunked.
        let sent = 0;
        const write = () => {
          while (sent < 11) {
            sent += 1;
            if (!req.write(chunk)) return void req.once('drain', write);
          }
          req.end();
        };
        write();
      },
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'dynamiq.http.body_too_large', message: 'The proxy forwards at most 10 MiB.' },
    });
    expect(res.headers.connection).toBe('close');
    const forwarded = seen.slice(before);
    expect(forwarded.every((s) => !s.complete && s.bytes <= 10 * MIB)).toBe(true);
  });

  it('still streams a chunked body under the limit', async () => {
    const res = await rawRequest('/api/v2/series', {
      method: 'POST',
      body: (req) => {
        req.write(Buffer.alloc(3 * MIB, 0x62));
        req.end(Buffer.alloc(MIB, 0x62));
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, bytes: 4 * MIB });
  });

  it('drops upstream cookies', async () => {
    const res = await rawRequest('/cookie');
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('rewrites redirects under the API base through the proxy, and drops the others', async () => {
    const moved = await rawRequest('/moved');
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe('/api/proxy/datadog/api/v2/new?page=2');
    expect(moved.headers['content-location']).toBe('/api/proxy/datadog/api/v2/here');
    const away = await rawRequest('/away');
    expect(away.status).toBe(301);
    expect(away.headers.location).toBeUndefined();
  });
});
