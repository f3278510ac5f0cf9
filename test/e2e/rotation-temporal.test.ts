// Rotating the master key with a conversation that idles on Temporal: its history (input, the
// first message) stays sealed under the old key, so `rotate-keys` must say the old key is still
// needed (it used to say it could go), and the conversation's next turn, replayed by a fresh
// worker holding both keys, completes.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT_KEYS_STILL_NEEDED, rotateKeysCommand } from '../../app/commands/rotate-keys.js';
import { loadConfig } from '../../lib/config/index.js';
import { keyringOf } from '../../lib/crypto/index.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { readSse } from '../helpers/sse.js';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const TASK_QUEUE = `rotation-${randomBytes(4).toString('hex')}`;

let llm: FakeOpenAI;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let app: TestApp | undefined;
let conversationId: string;
let workflowId: string;

const shared = () => ({
  LLM_BASE_URL: llm.baseUrl,
  DATABASE_URL: db.url,
  TEMPORAL_TASK_QUEUE: TASK_QUEUE,
});

async function say(a: TestApp, text: string) {
  const events = await readSse(
    await a.api(`/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      json: { text },
    }),
  );
  return events.at(-1)!;
}

beforeAll(async () => {
  llm = await startFakeOpenAI();
  db = await createTestDatabase();
  app = await startTestApp({ ...shared(), DYNAMIQ_MASTER_KEY: KEY_A });
  const created = await app.api('/api/conversations', { method: 'POST', json: {} });
  conversationId = ((await created.json()) as { conversation: { id: string } }).conversation.id;
  expect(await say(app, 'first, under key A')).toMatchObject({
    event: 'message',
    data: { content: 'You said: first, under key A' },
  });
  workflowId = (
    await app.database.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })
  ).workflowId;
  // The conversation idles on Temporal; no worker holds it in memory any more.
  await app.close();
  app = undefined;
});

afterAll(async () => {
  await app?.close();
  await llm?.close();
  await db?.drop();
});

describe('rotate-keys with an idle conversation sealed under the old key', () => {
  it('says the old key is still needed, naming the workflow, and the next turn completes', async () => {
    app = await startTestApp({
      ...shared(),
      DYNAMIQ_MASTER_KEY: KEY_B,
      DYNAMIQ_PREVIOUS_MASTER_KEYS: KEY_A,
    });
    const lines: string[] = [];
    const config = loadConfig({
      DATABASE_URL: db.url,
      DYNAMIQ_DATA_DIR: os.tmpdir(),
      DYNAMIQ_MASTER_KEY: KEY_B,
      DYNAMIQ_PREVIOUS_MASTER_KEYS: KEY_A,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    });
    expect(await rotateKeysCommand(config, (l) => lines.push(l))).toBe(EXIT_KEYS_STILL_NEEDED);
    const text = lines.join('\n');
    const oldKey = keyringOf(KEY_A).current.id;
    expect(text).toContain(`1 running workflow(s) on task queue ${TASK_QUEUE}`);
    expect(text).toContain(`sealed under key(s) ${oldKey}`);
    expect(text).toContain(workflowId);
    expect(text).toContain('Keep the previous keys in DYNAMIQ_PREVIOUS_MASTER_KEYS');
    expect(text).not.toContain('can be removed');

    // A fresh worker replays the old history with both keys, then runs the next turn.
    expect(await say(app, 'second, under key B')).toMatchObject({
      event: 'message',
      data: { content: 'You said: second, under key B' },
    });
    const stored = await app.api(`/api/conversations/${conversationId}`);
    const { messages } = (await stored.json()) as { messages: Array<{ content: string }> };
    expect(messages.map((m) => m.content)).toEqual([
      'first, under key A',
      'You said: first, under key A',
      'second, under key B',
      'You said: second, under key B',
    ]);
  });

  it('refuses to call the key removable when Temporal cannot be asked', async () => {
    const lines: string[] = [];
    const config = loadConfig({
      DATABASE_URL: db.url,
      DYNAMIQ_DATA_DIR: os.tmpdir(),
      DYNAMIQ_MASTER_KEY: KEY_B,
      DYNAMIQ_PREVIOUS_MASTER_KEYS: KEY_A,
    });
    expect(await rotateKeysCommand(config, (l) => lines.push(l))).toBe(EXIT_KEYS_STILL_NEEDED);
    expect(lines.join('\n')).toContain('Temporal is embedded');
  });
});
