// The benchmark's ratio compares like with like: the bare workflow's turn makes exactly the
// activity calls (kind and order) that a product turn recorded.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeOpenAI } from '../../test/fakes/openai.js';
import type { FakeOpenAI } from '../../test/fakes/openai.js';
import { startTestApp } from '../../test/helpers/app.js';
import type { TestApp } from '../../test/helpers/app.js';
import { readSse } from '../../test/helpers/sse.js';
import * as activities from './activities.js';
import { activityShape } from './shape.js';
import { turnUpdate } from './workflow.js';

let llm: FakeOpenAI;
let app: TestApp;

beforeAll(async () => {
  llm = await startFakeOpenAI({ reply: () => 'ok, done.' });
  app = await startTestApp({ LLM_BASE_URL: llm.baseUrl });
});
afterAll(async () => {
  await app?.close();
  await llm?.close();
});

describe('the bare baseline of bench/turn.ts', () => {
  it('makes the same activity calls, in the same order, as a product turn', async () => {
    const created = await app.api('/api/conversations', { method: 'POST', json: {} });
    const { conversation } = (await created.json()) as { conversation: { id: string } };
    const res = await app.api(`/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      json: { text: 'one turn' },
    });
    expect((await readSse(res)).at(-1)?.event).toBe('message');

    const [execution] = await collect(
      app.temporal!.workflow.list({
        query: `WorkflowType = 'conversationWorkflow' AND TaskQueue = '${app.env.TEMPORAL_TASK_QUEUE}'`,
      }),
    );
    const product = await app.temporal!.workflow.getHandle(execution!.workflowId).fetchHistory();
    const shape = activityShape(product.events ?? []);
    expect(shape.flat().length).toBeGreaterThanOrEqual(3);

    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const taskQueue = `bare-${randomUUID()}`;
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
      activities,
    });
    const client = new Client({
      connection: await Connection.connect({ address: inject('temporalAddress') }),
    });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start('bareConversation', {
        taskQueue,
        workflowId: `bare-${randomUUID()}`,
        args: [shape],
      });
      expect(await handle.executeUpdate(turnUpdate, { args: [1] })).toBe(1);
      const bare = await handle.fetchHistory();
      expect(activityShape(bare.events ?? [])).toEqual(shape);
      await handle.terminate();
    });
    await client.connection.close();
    await connection.close();
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
