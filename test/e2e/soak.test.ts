import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CONVERSATIONS = 50;
const WARMUP_TURNS = 2 * CONVERSATIONS;
const SOAK_TURNS = 2000;
const CONCURRENCY = 20;
/** A leak of 10 KiB a turn (a kept event, a listener, a cached row) passes this over 2,000 turns. */
const HEAP_GROWTH_BOUND = 20 * 2 ** 20;

/**
 * 2,000 turns through the whole product (api + worker in this process, the test run's Temporal
 * server, PostgreSQL, the fake OpenAI): once every conversation exists and the caches are warm,
 * the heap after a full GC comes back to where it was, give or take a bound far below what a
 * per-turn leak would add.
 */
describe('a soak of 2,000 turns', () => {
  let llm: FakeOpenAI;
  let app: TestApp;
  const conversations: string[] = [];

  beforeAll(async () => {
    llm = await startFakeOpenAI({ respond: () => ({ text: 'ok, done.' }) });
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      // One user sends everything here: lift the per-user caps a person would meet.
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_STARTS_PER_MINUTE: '1000000',
      MAX_STREAMS_PER_USER: '10000',
      AGENT_MAX_CONCURRENT_TURNS: '100',
    });
    for (let i = 0; i < CONVERSATIONS; i++) {
      const res = await app.api('/api/conversations', { method: 'POST', json: {} });
      conversations.push(((await res.json()) as { conversation: { id: string } }).conversation.id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  /** Sends `count` turns, `CONCURRENCY` at once, each conversation one turn at a time. */
  async function turns(count: number): Promise<number> {
    let next = 0;
    let answered = 0;
    const busy = new Set<string>();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, lane) => {
        while (next < count) {
          const n = next++;
          let id = conversations[(n + lane) % CONVERSATIONS]!;
          for (let k = 0; busy.has(id); k++) id = conversations[(n + lane + k) % CONVERSATIONS]!;
          busy.add(id);
          try {
            const res = await app.api(`/api/conversations/${id}/messages`, {
              method: 'POST',
              json: { text: `soak ${n}` },
            });
            const events = await readSse(res);
            const final = events.at(-1);
            if (
              final?.event === 'message' &&
              (final.data as { content?: string }).content === 'ok, done.'
            ) {
              answered++;
            }
          } finally {
            busy.delete(id);
          }
        }
      }),
    );
    return answered;
  }

  function settledHeap(): number {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  }

  it('answers every turn and keeps the heap within a bound after GC', async () => {
    expect(await turns(WARMUP_TURNS)).toBe(WARMUP_TURNS);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = settledHeap();

    expect(await turns(SOAK_TURNS)).toBe(SOAK_TURNS);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = settledHeap();
    console.log(
      `soak: heap after GC ${(before / 2 ** 20).toFixed(1)} MiB after ${WARMUP_TURNS} turns, ` +
        `${(after / 2 ** 20).toFixed(1)} MiB after ${SOAK_TURNS} more`,
    );
    expect(after - before).toBeLessThan(HEAP_GROWTH_BOUND);
  }, 900_000);
});
