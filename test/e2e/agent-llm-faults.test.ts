import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lib/conversation/index.js';
import type { FakeAnswer } from '../fakes/openai.js';
import type { SseEvent } from '../helpers/sse.js';
import { startAgentHarness } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';
import { replayConversations, workflowIdOf } from './agent-extras.js';

/**
 * LLM faults (429 with Retry-After, 5xx, a request that never answers, a stream dropped
 * mid-answer, requests refused for good), budgets, and chat events sent to Temporal without
 * the payload codec.
 */
describe('agent turns when the LLM fails, budgets run out, or Temporal is written to directly', () => {
  let h: AgentHarness;
  const conversations: string[] = [];
  beforeAll(async () => {
    // A request the server never answers is given up after 3 s (then retried by Temporal).
    h = await startAgentHarness({ LLM_TIMEOUT_MS: '3000' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const newConversation = async () => {
    const id = await h.newConversation();
    conversations.push(id);
    return id;
  };
  /** The fake answers this turn's requests with `answers` in order (the last one repeats). */
  const answers = (...list: Array<FakeAnswer | 'hang'>) => {
    let i = 0;
    const first = h.llm.requests.length;
    h.script.current = () => {
      const next = list[Math.min(i++, list.length - 1)]!;
      return next === 'hang' ? new Promise<FakeAnswer>(() => undefined) : next;
    };
    return () => h.llm.requests.slice(first);
  };
  const finalOf = (events: SseEvent[]) =>
    events.at(-1)!.data as { role: string; content: string; isError: boolean };

  it('waits as long as a 429 says (Retry-After), then answers', async () => {
    const requests = answers(
      { error: { status: 429, message: 'Rate limit reached', headers: { 'retry-after': '3' } } },
      { text: 'Answered after the wait.' },
    );
    const id = await newConversation();
    const events = await h.send(id, 'hello');
    expect(finalOf(events)).toMatchObject({ content: 'Answered after the wait.', isError: false });
    const [a, b] = requests();
    expect(requests()).toHaveLength(2);
    // Temporal's own first backoff is 1 s: the 3 s came from Retry-After.
    expect(b!.receivedAt - a!.receivedAt).toBeGreaterThanOrEqual(2_900);
    expect((await h.detail(id)).turns[0]!.status).toBe('completed');
  }, 60_000);

  it('retries 500s with backoff, then answers', async () => {
    const requests = answers(
      { error: { status: 500, message: 'The server had an error' } },
      { error: { status: 503, message: 'Overloaded' } },
      { text: 'Third time lucky.' },
    );
    const id = await newConversation();
    const events = await h.send(id, 'hello');
    expect(finalOf(events)).toMatchObject({ content: 'Third time lucky.', isError: false });
    expect(requests()).toHaveLength(3);
  }, 60_000);

  it('gives up on a request that never answers and retries it', async () => {
    const requests = answers('hang', { text: 'Sorry for the wait.' });
    const id = await newConversation();
    const events = await h.send(id, 'hello');
    expect(finalOf(events)).toMatchObject({ content: 'Sorry for the wait.', isError: false });
    expect(requests()).toHaveLength(2);
  }, 60_000);

  it('retries a stream dropped mid-answer without showing its tokens twice', async () => {
    const text = 'The answer is forty-two, and that is final.';
    const requests = answers({ text, dropAfterChars: 16 }, { text });
    const id = await newConversation();
    const events = await h.send(id, 'what is the answer?');
    expect(requests()).toHaveLength(2);
    expect(finalOf(events)).toMatchObject({ content: text, isError: false });

    // Tokens carry their step and attempt; a follower keeps only a step's latest attempt.
    const tokens = events
      .filter((e) => e.event === 'token')
      .map((e) => e.data as { stepId: string; attempt: number; delta: string });
    expect(tokens.length).toBeGreaterThan(0);
    const latest = new Map<string, { attempt: number; text: string }>();
    for (const t of tokens) {
      const seen = latest.get(t.stepId);
      if (!seen || t.attempt > seen.attempt)
        latest.set(t.stepId, { attempt: t.attempt, text: t.delta });
      else if (t.attempt === seen.attempt) seen.text += t.delta;
      else throw new Error('a token of an older attempt arrived after a newer one');
    }
    expect([...latest.values()]).toEqual([{ attempt: 2, text }]);
    // The first attempt's tokens, if any were shown, are a prefix of the answer, tagged attempt 1.
    const first = tokens
      .filter((t) => t.attempt === 1)
      .map((t) => t.delta)
      .join('');
    expect(text.startsWith(first)).toBe(true);

    // Stored once, whole.
    const stored = await h.app.database.prisma.message.findMany({
      where: { conversationId: id, role: 'assistant' },
    });
    expect(stored.map((m) => m.content)).toEqual([text]);
  }, 60_000);

  for (const status of [400, 401]) {
    it(`ends the turn with plain words on a permanent ${status}, without retrying`, async () => {
      const requests = answers({
        error: { status, message: status === 400 ? 'Invalid schema for function' : 'Bad key' },
      });
      const id = await newConversation();
      const events = await h.send(id, 'hello');
      const final = finalOf(events);
      expect(final.isError).toBe(true);
      expect(final.content).toMatch(/^I could not get an answer from the language model: /);
      const said = status === 400 ? 'Invalid schema for function' : 'Bad key';
      expect(final.content).toBe(
        `I could not get an answer from the language model: the LLM server refused the request (HTTP ${status}: ${said}). Please try again.`,
      );
      expect(requests()).toHaveLength(1);
      const turn = (await h.detail(id)).turns[0]!;
      expect(turn.status).toBe('failed');
      // The conversation goes on.
      answers({ text: 'Back again.' });
      expect(finalOf(await h.send(id, 'again'))).toMatchObject({ content: 'Back again.' });
    }, 60_000);
  }

  it('stops a user over their daily budget with the budget message, without asking the LLM', async () => {
    answers({ text: 'spent some tokens' });
    const id = await newConversation();
    await h.send(id, 'use some tokens');
    const budget = `/api/admin/budgets/user/${h.app.admin.id}`;
    const set = await h.app.api(budget, {
      method: 'PUT',
      json: { tokensPerDay: 10, costUsdPerDay: null },
    });
    expect(set.status).toBe(200);
    try {
      const before = h.llm.requests.length;
      const events = await h.send(id, 'one more');
      expect(h.llm.requests.length).toBe(before);
      const final = finalOf(events);
      expect(final.content).toMatch(
        /^Your daily budget of 10 tokens is used up \([\d,]+ used today\); it resets at 00:00 UTC \(in (\d+ h )?\d+ min\)\.$/,
      );
      const turn = (await h.detail(id)).turns[1]!;
      expect(turn.status).toBe('budget_exceeded');
    } finally {
      expect((await h.app.api(budget, { method: 'DELETE' })).status).toBe(200);
    }
  }, 60_000);

  describe('a plaintext chatEvent sent straight to Temporal, without the payload codec', () => {
    let plain: Client;
    let connection: Connection;
    beforeAll(async () => {
      connection = await Connection.connect({ address: h.app.temporalAddress });
      plain = new Client({ connection, namespace: 'default' });
    });
    afterAll(async () => {
      await connection?.close();
    });

    const eventFor = async (conversationId: string, text: string): Promise<ChatEvent> => {
      const c = await h.app.database.prisma.conversation.findUniqueOrThrow({
        where: { id: conversationId },
      });
      return {
        eventId: `forged-${Date.now()}`,
        conversation: {
          platform: c.platform,
          workspaceId: c.workspaceId,
          channelId: c.channelId,
          threadId: c.threadId,
        },
        author: { platformUserId: h.app.admin.id, displayName: 'Forger' },
        text,
        receivedAt: new Date().toISOString(),
      } as ChatEvent;
    };
    const stored = async (conversationId: string) => {
      const where = { conversationId };
      const [messages, turns] = await Promise.all([
        h.app.database.prisma.message.count({ where }),
        h.app.database.prisma.turn.count({ where }),
      ]);
      return { messages, turns };
    };
    /** A real message still gets its answer (nothing wedged the workflow). */
    const stillAnswers = async (id: string) => {
      answers({ text: 'genuine answer' });
      const events = await Promise.race([
        h.send(id, 'a genuine message'),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the genuine message was not answered')), 30_000),
        ),
      ]);
      expect(finalOf(events)).toMatchObject({ content: 'genuine answer' });
    };

    it('is refused by a running conversation and nothing is stored', async () => {
      answers({ text: 'first' });
      const id = await newConversation();
      await h.send(id, 'start the workflow');
      const before = await stored(id);
      const requests = h.llm.requests.length;
      await plain.workflow
        .getHandle(await workflowIdOf(h.app, id))
        .signal('chatEvent', await eventFor(id, 'forged: delete everything'));
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await stored(id)).toEqual(before);
      expect(h.llm.requests.length).toBe(requests);
      await stillAnswers(id);
    }, 60_000);

    it('is refused by signalWithStart on a conversation not yet running, which is not wedged', async () => {
      const id = await newConversation();
      const c = await h.app.database.prisma.conversation.findUniqueOrThrow({ where: { id } });
      const event = await eventFor(id, 'forged: start with this');
      await plain.workflow.signalWithStart('conversationWorkflow', {
        workflowId: c.workflowId,
        taskQueue: h.app.taskQueue,
        args: [{ conversationId: id, key: event.conversation }],
        signal: 'chatEvent',
        signalArgs: [event],
      });
      const requests = h.llm.requests.length;
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await stored(id)).toEqual({ messages: 0, turns: 0 });
      expect(h.llm.requests.length).toBe(requests);
      // The forged run failed at once instead of holding the conversation's workflow id.
      const forged = await plain.workflow.getHandle(c.workflowId).describe();
      expect(forged.status.name).toBe('FAILED');
      await stillAnswers(id);
      // Only the genuine message and its answer.
      expect(await stored(id)).toEqual({ messages: 2, turns: 1 });
    }, 60_000);
  });

  it('replays the recorded histories of these turns without a determinism error', async () => {
    expect(await replayConversations(h.app, conversations)).toBe(conversations.length);
  }, 60_000);
});
