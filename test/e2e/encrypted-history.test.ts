import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import proto from '@temporalio/proto';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse.js';

/** Temporal's own stored history holds conversation content only as ciphertext. */
describe('workflow payloads at rest in Temporal', () => {
  let llm: FakeOpenAI;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ reply: () => 'the canary answer zebra-7731' });
    app = await startTestApp({ LLM_BASE_URL: llm.baseUrl });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('contain neither the user’s message nor the answer in any readable form', async () => {
    const { conversation } = (await (
      await app.api('/api/conversations', { method: 'POST', json: {} })
    ).json()) as {
      conversation: { id: string };
    };
    const events = await readSse(
      await app.api(`/api/conversations/${conversation.id}/messages`, {
        method: 'POST',
        json: { text: 'the canary question quokka-4412' },
      }),
    );
    expect(events.at(-1)!.data).toMatchObject({ content: 'the canary answer zebra-7731' });

    const row = await app.database.prisma.conversation.findUniqueOrThrow({
      where: { id: conversation.id },
    });
    // The raw gRPC answer: what Temporal's database and UI hold, before any client decoding.
    const raw = await app.temporal!.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: row.workflowId },
    });
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(raw.history!).finish());
    expect(raw.history!.events!.length).toBeGreaterThan(5);
    for (const canary of ['quokka-4412', 'zebra-7731']) {
      expect(bytes.includes(Buffer.from(canary))).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(canary).toString('base64').slice(0, 12)))).toBe(
        false,
      );
    }
    expect(bytes.includes(Buffer.from('binary/encrypted'))).toBe(true);
  });
});
