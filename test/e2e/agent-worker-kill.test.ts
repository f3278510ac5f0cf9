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
import type { SseEvent } from '../helpers/sse.js';
import { eventually, toolResults } from './agent-harness.js';
import type { Script } from './agent-harness.js';
import { replayConversations } from './agent-extras.js';
import { startWorkerProcess } from '../helpers/processes.js';

/**
 * The worker (its own process, as in production) is SIGKILLed while a non-idempotent command
 * runs in its sandbox, and while a turn waits for an approval. After a new worker starts, the
 * turn completes; the command is never run again silently: it is reported as interrupted (it may
 * have partly run), and the LLM is told.
 */
describe('the worker SIGKILLed mid-tool-call and mid-approval', () => {
  let llm: FakeOpenAI;
  let api: RunningDynamiq;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let tmp: string;
  const workers: ChildProcess[] = [];
  const script: { current: Script } = { current: () => ({ text: 'ok' }) };
  const conversations: string[] = [];

  beforeAll(async () => {
    llm = await startFakeOpenAI({ respond: (req, n) => script.current(req, n) });
    db = await createTestDatabase();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-agent-kill-'));
    // The sandbox user passes through the data folder to reach its sandbox.
    await fs.chmod(tmp, 0o711);
    const bundle = path.join(tmp, 'workflow-bundle.js');
    await fs.writeFile(bundle, inject('workflowBundle'));
    env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `agent-kill-${process.pid}`,
      DYNAMIQ_API_TOKEN: 'agent-kill-test-token-0123456789',
      JWT_SECRET: 'agent-kill-test-jwt-secret-0123456789abcdef',
      DYNAMIQ_DATA_DIR: tmp,
      // Inside the test's folder (the default is beside it), so sandboxFiles finds their files.
      SANDBOX_DIR: path.join(tmp, 'sandboxes'),
      LLM_BASE_URL: llm.baseUrl,
      SANDBOX_DISK_MB: '0',
      // A dead worker's command is noticed after 2 s without a heartbeat.
      AGENT_TOOL_HEARTBEAT_MS: '2000',
      AGENT_SANDBOX_HOST_WAIT_MS: '5000',
      PORT: '0',
      LOG_LEVEL: 'silent',
      TEST_WORKFLOW_BUNDLE: bundle,
    };
    api = await startDynamiq(loadConfig(env), new Set(['api']), createLogger('silent'));
    env.DYNAMIQ_BROKER_URL = api.url!;
  });

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api?.stop();
    await llm?.close();
    await db?.drop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const startWorker = () => startWorkerProcess(env, workers);
  async function kill(child: ChildProcess) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  const call = (p: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(`${api.url}${p}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${env.DYNAMIQ_API_TOKEN}`,
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  const newConversation = async () => {
    const { conversation } = (await (
      await call('/api/conversations', { method: 'POST', json: {} })
    ).json()) as { conversation: { id: string } };
    conversations.push(conversation.id);
    return conversation.id;
  };
  const send = (id: string, text: string): Promise<SseEvent[]> =>
    call(`/api/conversations/${id}/messages`, { method: 'POST', json: { text } }).then(readSse);
  const prisma = () => api.database.prisma;
  /** The sandbox files named `name` under the data folder, with their contents. */
  async function sandboxFiles(name: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, depth: number) => {
      if (depth > 8) return;
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p, depth + 1);
        else if (e.name === name) found.push(await fs.readFile(p, 'utf8'));
      }
    };
    await walk(tmp, 0);
    return found;
  }

  it('reports a command whose worker died as interrupted, never runs it again, and completes the turn', async () => {
    const first = await startWorker();
    const command = 'echo appended >> /work/side-effect.txt; sleep 120';
    script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: `told: ${toolResults(req)[0]}` };
    // Writes run without asking here: the point is the dead worker, not the approval.
    await prisma().integrationPolicy.create({ data: { integrationId: 'sandbox', mode: 'auto' } });
    try {
      const id = await newConversation();
      const streamed = send(id, 'append then sleep');
      await eventually(async () => {
        const row = await prisma().toolCall.findFirst({ where: { conversationId: id } });
        return row?.status === 'running' && (await sandboxFiles('side-effect.txt')).length > 0;
      }, 'the command to have appended its line');
      expect(await sandboxFiles('side-effect.txt')).toEqual(['appended\n']);
      await kill(first);
      await startWorker();

      const events = await streamed;
      const final = events.at(-1)!.data as { content: string };
      expect(final.content).toMatch(/^told: Interrupted: the worker running it stopped/);
      expect(final.content).toContain('may have partly run. It was not run again.');
      const calls = await prisma().toolCall.findMany({ where: { conversationId: id } });
      expect(calls.map((c) => [c.tool, c.status])).toEqual([['run_command', 'interrupted']]);
      const turn = await prisma().turn.findFirstOrThrow({ where: { conversationId: id } });
      expect(turn.status).toBe('completed');
      // The line is there once: the command was not run again.
      expect(await sandboxFiles('side-effect.txt')).toEqual(['appended\n']);
      // The LLM was asked twice: the plan, then the answer after the interruption.
      expect(
        llm.requests.filter((r) => r.messages.some((m) => m.content === 'append then sleep')),
      ).toHaveLength(2);
    } finally {
      await prisma().integrationPolicy.deleteMany({ where: { integrationId: 'sandbox' } });
    }
  }, 120_000);

  it('keeps waiting for an approval across a worker restart, then runs the call once', async () => {
    const current = workers.at(-1)!;
    const command = 'echo approved >> /work/approved.txt && cat /work/approved.txt';
    script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: `ran: ${toolResults(req)[0]}` };
    const id = await newConversation();
    const streamed = send(id, 'append after approval');
    // Awaited below; a failed expectation before that must not leave it unhandled when the api stops.
    streamed.catch(() => undefined);
    const approval = await eventually(
      async () =>
        (await prisma().approval.findFirst({ where: { conversationId: id, status: 'pending' } })) ??
        undefined,
      'an approval request',
    );
    await kill(current);
    await startWorker();

    const res = await call(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(res.status).toBe(200);
    const events = await streamed;
    expect((events.at(-1)!.data as { content: string }).content).toMatch(/^ran: /);
    const calls = await prisma().toolCall.findMany({ where: { conversationId: id } });
    expect(calls.map((c) => [c.status, c.exitCode])).toEqual([['completed', 0]]);
    expect(calls[0]!.output).toContain('approved');
    expect(await sandboxFiles('approved.txt')).toEqual(['approved\n']);
    const turn = await prisma().turn.findFirstOrThrow({ where: { conversationId: id } });
    expect(turn.status).toBe('completed');
  }, 120_000);

  it('replays the histories of both turns (each across two workers) without a determinism error', async () => {
    expect(await replayConversations(api, conversations)).toBe(2);
  }, 60_000);
});
