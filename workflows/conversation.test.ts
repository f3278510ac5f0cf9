import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationIdFor, conversationWorkflowId } from '../lib/conversation/index.js';
import { startEmbeddedTemporal } from '../lib/temporal/index.js';
import type { EmbeddedTemporal } from '../lib/temporal/index.js';
import type { ChatEvent, ConversationKey } from '../lib/conversation/index.js';
import type { Client } from '@temporalio/client';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import type { FakeOpenAI } from '../test/fakes/openai.js';
import { startTestApp } from '../test/helpers/app.js';
import type { TestApp } from '../test/helpers/app.js';
import { chatEventSignal, stateQuery } from './definitions.js';
import type { conversationWorkflow } from './conversation.js';

describe('the conversation workflow on a real Temporal server', () => {
  let llm: FakeOpenAI;
  let temporal: EmbeddedTemporal;
  let temporalDir: string;
  let app: TestApp;
  let client: Client;

  beforeAll(async () => {
    // This server suggests continue-as-new once a run's history passes 20 events (Temporal's
    // default is 4 Ki), so a few turns reach the condition a long conversation reaches.
    temporalDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-test-can-'));
    temporal = await startEmbeddedTemporal({
      dataDir: temporalDir,
      namespace: 'default',
      log: () => {},
      serverLogLevel: 'error',
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 20 },
    });
    llm = await startFakeOpenAI();
    app = await startTestApp({ LLM_BASE_URL: llm.baseUrl, TEMPORAL_ADDRESS: temporal.address });
    client = app.temporal!;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await llm?.close();
    await temporal?.stop();
    await fs.rm(temporalDir, { recursive: true, force: true });
  });

  const key: ConversationKey = {
    platform: 'slack',
    workspaceId: 'T1',
    channelId: 'C1',
    threadId: `${Date.now()}.0001`,
  };
  const event = (eventId: string, text: string): ChatEvent => ({
    eventId,
    conversation: key,
    author: { platformUserId: 'U1', displayName: 'Grace' },
    text,
    receivedAt: new Date().toISOString(),
  });
  const send = (e: ChatEvent) =>
    client.workflow.signalWithStart<typeof conversationWorkflow, [ChatEvent]>(
      'conversationWorkflow',
      {
        workflowId: conversationWorkflowId(key),
        taskQueue: app.taskQueue,
        args: [{ conversationId: conversationIdFor(key), key }],
        signal: chatEventSignal,
        signalArgs: [e],
      },
    );
  const messages = () =>
    app.database.prisma.message.findMany({
      where: { conversationId: conversationIdFor(key) },
      orderBy: { seq: 'asc' },
    });
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
  };

  it('answers queued messages in order, continues as new, and still drops a redelivered event', async () => {
    const first = await send(event('ev-1', 'one'));
    await send(event('ev-2', 'two'));
    await send(event('ev-1', 'one')); // a platform redelivering the first event
    await send(event('ev-3', 'three'));
    await until(async () => (await messages()).length >= 6);
    const stored = await messages();
    expect(stored.map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:one',
      'assistant:You said: one',
      'user:two',
      'assistant:You said: two',
      'user:three',
      'assistant:You said: three',
    ]);

    const handle = client.workflow.getHandle(conversationWorkflowId(key));
    const described = await handle.describe();
    expect(described.runId).not.toBe(first.signaledRunId);
    const firstRun = await client.workflow
      .getHandle(conversationWorkflowId(key), first.signaledRunId)
      .describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');

    await send(event('ev-2', 'two')); // redelivered after continue-as-new: still known
    // The answer is stored by the turn's last step; the turn ends (and counts) right after.
    await until(async () => (await handle.query(stateQuery)).turnsCompleted >= 3);
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ turnsCompleted: 3, queued: 0 });
    expect(await messages()).toHaveLength(6);

    // The Slack user became a Dynamiq user with a chat identity on first contact.
    const identity = await app.database.prisma.chatIdentity.findFirstOrThrow({
      where: { platform: 'slack', platformUserId: 'U1' },
    });
    expect(identity.displayName).toBe('Grace');
  });
});
