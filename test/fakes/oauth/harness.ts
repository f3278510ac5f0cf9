// The integration routes on a real PostgreSQL database, without Temporal: the same Fastify set-up
// as web/server/app.ts (zod compilers, error handler, cookies, authenticated /api scope) with only
// these routes.
// Shared by the integrations tests and bench/integrations.ts.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Writable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { Connections, oauthClientsFromEnv } from '../../../integrations/connections/index.js';
import type { ProviderAccounts } from '../../../integrations/connections/index.js';
import type { EndpointOverrides, Integration } from '../../../integrations/index.js';
import { catalog } from '../../../integrations/index.js';
import { keyringOf } from '../../../lib/crypto/index.js';
import type { Keyring } from '../../../lib/crypto/index.js';
import { migrate, openDatabase } from '../../../lib/db/index.js';
import type { Database } from '../../../lib/db/index.js';
import { authenticate, ensureAdmin } from '../../../web/server/auth.js';
import type { AuthUser } from '../../../web/server/auth.js';
import { errorHandler } from '../../../web/server/errors.js';
import { integrationRoutes, oauthCallbackRoutes } from '../../../web/server/routes/integrations.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import { bearerFetch } from '../../helpers/http.js';

export const newMasterKey = () => randomBytes(32).toString('base64');

/** A fresh, migrated PostgreSQL database for one test file. */
export async function freshDatabase(): Promise<{
  url: string;
  database: Database;
  drop: () => Promise<void>;
}> {
  const { url, drop } = await createTestDatabase();
  const database = await openDatabase({ url });
  await migrate(database.sql);
  return {
    url,
    database,
    drop: async () => {
      await database.close();
      await drop();
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface HarnessOptions {
  database: Database;
  keyring?: Keyring;
  /** OAUTH_<ID>_CLIENT_ID / _CLIENT_SECRET and the like. */
  env?: Record<string, string>;
  endpointOverrides?: EndpointOverrides;
  /** Where pino writes (every level); default: nowhere. */
  logStream?: Writable;
  /** Instead of the built-in catalog, e.g. an entry whose oauth block names a fake's issuer. */
  integrations?: readonly Integration[];
  /** The MCP providers holding mcp-type integrations' accounts (Pipedream, Composio). */
  providerAccounts?: readonly ProviderAccounts[];
}

export async function startIntegrationsServer(opts: HarnessOptions) {
  const { database } = opts;
  const keyring = opts.keyring ?? keyringOf(newMasterKey());
  const log = opts.logStream ? pino({ level: 'trace' }, opts.logStream) : pino({ level: 'silent' });
  const admin: AuthUser = await ensureAdmin(database.prisma);
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const connections = new Connections({
    db: database.prisma,
    keyring,
    log,
    publicUrl: url,
    oauthClients: oauthClientsFromEnv(opts.env ?? {}, opts.integrations ?? catalog),
    endpointOverrides: opts.endpointOverrides ?? {},
    integrations: opts.integrations,
    providerAccounts: opts.providerAccounts,
  });

  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(log));
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyCookie);
  const deps = { connections, log, db: database.prisma };
  await app.register(async (scope) => oauthCallbackRoutes(scope, deps));
  await app.register(async (api) => {
    api.addHook('onRequest', authenticate({ apiToken: token, admin, db: database.prisma }));
    await integrationRoutes(api, deps);
  });
  await app.listen({ port, host: '127.0.0.1' });

  return {
    url,
    token,
    admin,
    keyring,
    connections,
    log,
    api: bearerFetch(url, token),
    /**
     * What a browser does: POST connect, follow the authorize URL to the provider, which
     * redirects back. Returns the callback URL and the flow cookie, not yet visited.
     */
    async authorize(integrationId: string): Promise<{ callbackUrl: string; cookie: string }> {
      const res = await this.api(`/api/integrations/${integrationId}/connect`, { method: 'POST' });
      if (res.status !== 200)
        throw new Error(`connect answered ${res.status}: ${await res.text()}`);
      const { authorizeUrl } = (await res.json()) as { authorizeUrl: string };
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const atProvider = await fetch(authorizeUrl, { redirect: 'manual' });
      const callbackUrl = atProvider.headers.get('location');
      if (atProvider.status !== 302 || !callbackUrl) {
        throw new Error(`the provider answered ${atProvider.status}: ${await atProvider.text()}`);
      }
      return { callbackUrl, cookie };
    },
    /** The browser arriving back from the provider (no bearer token, as in production). */
    callback(callbackUrl: string, cookie: string | undefined) {
      return fetch(callbackUrl, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    },
    async close() {
      await app.close();
    },
  };
}

export type IntegrationsServer = Awaited<ReturnType<typeof startIntegrationsServer>>;
