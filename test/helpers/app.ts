import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { defaultSandboxDir, loadConfig } from '../../lib/config/index.js';
import { createLogger } from '../../lib/logging.js';
import { startDynamiq } from '../../app/index.js';
import type { Role, RunningDynamiq } from '../../app/index.js';
import { createTestDatabase } from './postgres.js';
import { bearerFetch } from './http.js';

export interface TestApp extends RunningDynamiq {
  admin: { id: string };
  url: string;
  token: string;
  taskQueue: string;
  env: Record<string, string>;
  /** fetch with the administrator's bearer token. */
  api(pathname: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The whole product (api + worker roles) as `npm start` runs it, on the test run's Temporal
 * server, a fresh PostgreSQL database (or the embedded PostgreSQL in its temp data folder) and its own task queue.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: { database?: 'postgres' | 'embedded'; roles?: Role[] } = {},
): Promise<TestApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-test-'));
  const db = opts.database === 'embedded' ? null : await createTestDatabase();
  const token = randomBytes(24).toString('hex');
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const fullEnv: Record<string, string> = {
    PORT: '0',
    DYNAMIQ_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    DYNAMIQ_API_TOKEN: token,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...env,
  };
  const config = loadConfig(fullEnv);
  const app = await startDynamiq(
    config,
    new Set<Role>(opts.roles ?? ['api', 'worker']),
    createLogger(config.logLevel),
    {
      workflowBundle: { code: inject('workflowBundle') },
    },
  );
  const url = app.url!;
  const admin = await app.database.prisma.user.findFirstOrThrow({
    where: { role: 'admin' },
    orderBy: { createdAt: 'asc' },
  });
  return {
    ...app,
    admin: { id: admin.id },
    url,
    token,
    taskQueue,
    env: fullEnv,
    api: bearerFetch(url, token),
    async close() {
      await app.stop();
      await db?.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
      // The local sandboxes' default folder sits beside the data folder.
      await fs.rm(defaultSandboxDir(dataDir), { recursive: true, force: true });
    },
  };
}
