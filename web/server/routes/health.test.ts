import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logging.js';
import type { ServerDeps } from '../deps.js';
import { healthRoutes } from './health.js';

const SECRET = 'password authentication failed for user "dynamiq_admin" at db.internal:5432';

async function appWith(db: () => Promise<unknown>, temporal: () => Promise<unknown>) {
  const warned: unknown[] = [];
  const log = createLogger('silent');
  log.warn = ((obj: unknown) => void warned.push(obj)) as typeof log.warn;
  const app = Fastify();
  await healthRoutes(app, {
    db: { $queryRaw: db } as unknown as ServerDeps['db'],
    temporal: {
      connection: { workflowService: { getSystemInfo: temporal } },
    } as unknown as ServerDeps['temporal'],
    log,
  });
  return { app, warned };
}

describe('GET /readyz', () => {
  it('answers 200 when the database and Temporal answer', async () => {
    const { app } = await appWith(
      async () => [1],
      async () => ({}),
    );
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', database: 'ok', temporal: 'ok' });
  });

  it('says only "unavailable" to an unauthenticated caller and logs why', async () => {
    const { app, warned } = await appWith(
      async () => {
        throw new Error(SECRET);
      },
      async () => ({}),
    );
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_ready', database: 'unavailable', temporal: 'ok' });
    expect(res.body).not.toContain('dynamiq_admin');
    expect(JSON.stringify(warned)).toContain('dynamiq_admin');
  });
});
