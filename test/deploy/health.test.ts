import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLogger, loadConfig, startDynamiq, workerHealth } from '../../app/index.js';
import type { RunningDynamiq } from '../../app/index.js';
import { createTestDatabase } from '../helpers/postgres.js';

const run = promisify(execFile);

/** `dynamiq health --role <role>` as the container's health check runs it, in its own process. */
async function healthCli(
  env: Record<string, string>,
  role: 'api' | 'worker',
): Promise<{ code: number; stdout: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|TEMPORAL_|LLM_|DYNAMIQ_|JWT_SECRET$|PORT$)/.test(k),
    ),
  );
  return run(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'health', '--role', role], {
    env: { ...clean, ...env },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
}

describe('dynamiq health --role worker', () => {
  let dataDir: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let worker: RunningDynamiq;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-health-'));
    db = await createTestDatabase();
    env = {
      DYNAMIQ_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `health-${randomBytes(4).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DYNAMIQ_BROKER_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    };
    // The worker role alone, as its container runs it.
    const config = loadConfig(env);
    worker = await startDynamiq(config, new Set(['worker']), createLogger(config.logLevel), {
      workflowBundle: { code: inject('workflowBundle') },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
    // The worker's default sandbox folder, beside the data folder.
    await fs.rm(`${dataDir}-sandboxes`, { recursive: true, force: true });
  });

  it('is healthy while a worker role polls the task queue', async () => {
    const { code, stdout } = await healthCli(env, 'worker');
    expect(stdout.trim()).toMatch(
      new RegExp(
        `^healthy: dynamiq-worker@${os.hostname()} polls task queue "${env.TEMPORAL_TASK_QUEUE}" \\(workflow \\d+ s ago, activity \\d+ s ago\\)$`,
      ),
    );
    expect(code).toBe(0);
  });

  it('is unhealthy, with one line saying why, on a task queue no worker polls', async () => {
    const { code, stdout } = await healthCli(
      { ...env, TEMPORAL_TASK_QUEUE: `nobody-${randomBytes(4).toString('hex')}` },
      'worker',
    );
    expect(stdout.trim()).toMatch(
      /^unhealthy: no poll from dynamiq-worker@\S+ on task queue "nobody-/,
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('is unhealthy when only another host polls, or when the last poll is too old', async () => {
    const config = loadConfig(env);
    const other = await workerHealth(config, { identity: 'dynamiq-worker@elsewhere' });
    expect(other).toMatchObject({ healthy: false });
    expect(other.line).toContain('no poll from dynamiq-worker@elsewhere');
    const later = await workerHealth(config, { now: () => Date.now() + 10 * 60_000 });
    expect(later).toMatchObject({ healthy: false });
    expect(later.line).toMatch(
      /last polled task queue .* \(workflow tasks\) \d+ s ago \(limit 90 s\)/,
    );
  });

  it('is unhealthy when Temporal does not answer', async () => {
    const { code, stdout } = await healthCli({ ...env, TEMPORAL_ADDRESS: '127.0.0.1:9' }, 'worker');
    expect(stdout.trim()).toMatch(/^unhealthy: cannot reach Temporal at 127\.0\.0\.1:9: /);
    expect(code).toBe(1);
  });
});
