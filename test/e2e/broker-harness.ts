import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { CredentialBroker } from '../../broker/index.js';
import type { AwsIssuerOptions, GcpIssuerOptions } from '../../broker/index.js';
import { keyringOf } from '../../lib/crypto/index.js';
import { migrate, openDatabase } from '../../lib/db/index.js';
import type { Database } from '../../lib/db/index.js';
import { createLogger } from '../../lib/logging.js';
import { bearerAuth, ensureAdmin } from '../../web/server/auth.js';
import type { AuthUser } from '../../web/server/auth.js';
import { errorHandler } from '../../web/server/errors.js';
import { cloudBrokerRoutes, cloudRoutes } from '../../web/server/routes/cloud.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { bearerFetch } from '../helpers/http.js';

export interface BrokerHarness {
  /** Where the server listens, e.g. http://127.0.0.1:12345. */
  url: string;
  database: Database;
  broker: CredentialBroker;
  admin: AuthUser;
  jwtSecret: string;
  /** fetch with the administrator's bearer token. */
  api(pathname: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** A new member (not an administrator) and a fetch that acts as them. */
  newMember(displayName: string): Promise<{
    user: AuthUser;
    api(pathname: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  }>;
  close(): Promise<void>;
}

/**
 * The cloud routes mounted the way web/server/app.ts mounts routes (zod compilers, the app's
 * error handler, admin routes behind the bearer hook, sandbox routes outside it) on a fresh
 * PostgreSQL database, listening on 127.0.0.1.
 */
export async function startBrokerHarness(opts: {
  aws?: AwsIssuerOptions;
  gcp?: GcpIssuerOptions;
}): Promise<BrokerHarness> {
  const pg = await createTestDatabase();
  const database = await openDatabase({ url: pg.url });
  await migrate(database.sql);
  const admin = await ensureAdmin(database.prisma);
  const apiToken = randomBytes(24).toString('hex');
  const jwtSecret = randomBytes(32).toString('hex');
  const broker = new CredentialBroker({
    db: database.prisma,
    keyring: keyringOf(randomBytes(32).toString('base64')),
    jwtSecret,
    aws: opts.aws,
    gcp: opts.gcp,
  });
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = Fastify({ loggerInstance: log });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(log));
  // Bearer tokens of members, standing in for their portal sessions (another part's concern).
  const members = new Map<string, AuthUser>();
  const adminAuth = bearerAuth({ apiToken, admin });
  await app.register(async (api) => {
    // The app's bearer authentication for the administrator.
    api.addHook('onRequest', async (request, reply) => {
      const member = members.get(request.headers.authorization ?? '');
      if (member) request.user = member;
      else await adminAuth(request, reply);
    });
    await cloudRoutes(api, { broker });
  });
  await app.register(async (scope) => cloudBrokerRoutes(scope, { broker }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    database,
    broker,
    admin,
    jwtSecret,
    api: bearerFetch(url, apiToken),
    async newMember(displayName) {
      const row = await database.prisma.user.create({ data: { displayName, role: 'member' } });
      const user: AuthUser = { id: row.id, displayName, role: 'member' };
      const memberToken = randomBytes(24).toString('hex');
      members.set(`Bearer ${memberToken}`, user);
      return { user, api: bearerFetch(url, memberToken) };
    },
    async close() {
      await app.close();
      await broker.close();
      await database.close();
      await pg.drop();
    },
  };
}

/** POSTs `body` to a sandbox-facing broker route with `token` as the bearer. */
export function brokerCall(
  h: Pick<BrokerHarness, 'url'>,
  provider: 'aws' | 'gcp',
  token: string | undefined,
  body: object = {},
): Promise<Response> {
  return fetch(`${h.url}/api/cloud/${provider}/credentials`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}
