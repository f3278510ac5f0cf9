import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { createLogger } from '../../lib/logging.js';
import { startDynamiq } from '../../app/index.js';
import type { RunningDynamiq } from '../../app/index.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { readSse } from '../helpers/sse.js';
import { startWorkerProcess } from '../helpers/processes.js';

/**
 * The api and the worker run as separate processes (events cross over PostgreSQL
 * LISTEN/NOTIFY). The worker is SIGKILLed while the LLM request is in flight; a new worker
 * picks the turn up after the heartbeat timeout and the answer is stored exactly once.
 */
describe('a worker killed mid-turn', () => {
  let llm: FakeOpenAI;
  let api: RunningDynamiq;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let tmp: string;
  const workers: ChildProcess[] = [];
  let firstRequestSeen!: () => void;
  const firstRequest = new Promise<void>((resolve) => (firstRequestSeen = resolve));

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      // The first attempt hangs (its worker dies); the retry answers.
      beforeAnswer: () => {
        if (llm.requests.length === 1) {
          firstRequestSeen();
          return new Promise(() => undefined);
        }
      },
    });
    db = await createTestDatabase();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-durability-'));
    const bundle = path.join(tmp, 'workflow-bundle.js');
    await fs.writeFile(bundle, inject('workflowBundle'));
    env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `durability-${process.pid}`,
      DYNAMIQ_API_TOKEN: 'durability-test-token-0123456789',
      JWT_SECRET: 'durability-test-jwt-secret-0123456789abcdef',
      DYNAMIQ_DATA_DIR: tmp,
      LLM_BASE_URL: llm.baseUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      TEST_WORKFLOW_BUNDLE: bundle,
    };
    const config = loadConfig(env);
    api = await startDynamiq(config, new Set(['api']), createLogger('silent'));
    // A worker on its own must be told where sandboxes reach the api.
    env.DYNAMIQ_BROKER_URL = api.url!;
  });

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api?.stop();
    await llm?.close();
    await db?.drop();
    await fs.rm(tmp, { recursive: true, force: true });
    // The workers' default sandbox folder, beside the data folder.
    await fs.rm(`${tmp}-sandboxes`, { recursive: true, force: true });
  });

  const startWorker = () => startWorkerProcess(env, workers);

  it('finishes the turn on a new worker and stores the answer once', async () => {
    const first = await startWorker();
    const call = (p: string, init: RequestInit = {}) =>
      fetch(`${api.url}${p}`, {
        ...init,
        headers: {
          authorization: `Bearer ${env.DYNAMIQ_API_TOKEN}`,
          'content-type': 'application/json',
        },
      });
    const { conversation } = (await (
      await call('/api/conversations', { method: 'POST', body: '{}' })
    ).json()) as {
      conversation: { id: string };
    };
    const streamed = call(`/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'survive this' }),
    }).then(readSse);

    await firstRequest;
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await startWorker();

    const events = await streamed;
    expect(events.at(-1)).toMatchObject({
      event: 'message',
      data: { role: 'assistant', content: 'You said: survive this' },
    });
    expect(llm.requests).toHaveLength(2);
    const messages = await api.database.prisma.message.findMany({
      where: { conversationId: conversation.id },
    });
    expect(messages.map((m) => m.role).sort()).toEqual(['assistant', 'user']);
  }, 90_000);
});
