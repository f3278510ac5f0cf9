import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceTable } from '../../activities/agent/prices.js';
import { MAX_NOTE_CHARS, recordStep } from '../../activities/agent/turn-steps.js';
import { parseSse } from '../helpers/sse.js';
import type { SseEvent } from '../helpers/sse.js';
import { startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';
import { replayConversations } from './agent-extras.js';

/** What these tests read of GET /api/conversations/:id beyond the harness's own view. */
interface Detail {
  turns: Array<{
    turnId: string;
    status: string;
    statusReason: string | null;
    steps: number;
    promptTokens: number;
    completionTokens: number;
    costUsd: number;
    notes: Array<{ step: number; stepId: string; content: string }>;
    toolCalls: Array<{
      step: number;
      tool: string;
      status: string;
      statusReason: string | null;
      exitCode: number | null;
      startedAt: string | null;
      output: string | null;
    }>;
  }>;
}

/** Reads an open SSE stream until `until` says stop, then closes it. */
async function follow(res: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const events = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
    if (until(events)) {
      await reader.cancel();
      return events;
    }
  }
  return parseSse(text);
}

const lastUserText = (req: { messages: Array<{ role: string; content: string | null }> }) =>
  [...req.messages].reverse().find((m) => m.role === 'user')?.content;

describe('the agent’s steps: notes, limits and usage', () => {
  let h: AgentHarness;
  const conversations: string[] = [];
  beforeAll(async () => {
    // Three steps a turn, and the smallest token budget the settings allow.
    h = await startAgentHarness({ AGENT_MAX_STEPS: '3', AGENT_MAX_TURN_TOKENS: '1000' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const detail = async (id: string) =>
    (await (await h.app.api(`/api/conversations/${id}`)).json()) as Detail;

  it('keeps what the LLM says along with its tool calls, as the step’s note before them', async () => {
    const long = `I'll check the pods first. ${'x'.repeat(MAX_NOTE_CHARS)}`;
    h.script.current = (req) => {
      const results = toolResults(req);
      if (lastUserText(req) === 'long note' && results.length === 0) {
        return { text: long, toolCalls: [{ name: 'run_command', arguments: { command: 'true' } }] };
      }
      if (results.length === 0) {
        return {
          text: "I'll check the pods first.",
          toolCalls: [{ name: 'run_command', arguments: { command: 'echo pods-ok' } }],
        };
      }
      return { text: `All good: ${results.join(' ').includes('pods-ok') ? 'pods-ok' : '?'}` };
    };
    const id = await h.newConversation();
    conversations.push(id);
    // Follow the conversation's event stream (as the portal does) while the turn runs.
    const stream = await h.app.api(`/api/conversations/${id}/events`);
    const followed = follow(stream, (events) => events.some((e) => e.event === 'turn.completed'));
    const events = await h.send(id, 'are the pods fine?');
    expect(events.at(-1)!.data).toMatchObject({ content: 'All good: pods-ok' });

    const [turn] = (await detail(id)).turns;
    expect(turn!.notes).toEqual([
      expect.objectContaining({ step: 1, stepId: 'llm-1', content: "I'll check the pods first." }),
    ]);
    expect(turn!.toolCalls.map((c) => [c.step, c.status])).toEqual([[1, 'completed']]);
    // The next step's request carries the model's own words with its calls.
    const second = h.llm.requests.at(-1)!;
    const withCalls = second.messages.find((m) => m.role === 'assistant' && m.tool_calls);
    expect(withCalls?.content).toBe("I'll check the pods first.");

    // Live, the note comes before that step's first tool call.
    const live = (await followed).map((e) => e.event);
    expect(live).toContain('note');
    expect(live.indexOf('note')).toBeLessThan(live.indexOf('tool.call'));
    // A follower that arrives later reads it from the store.
    const replayed = await follow(await h.app.api(`/api/conversations/${id}/events`), (e) =>
      e.some((x) => x.event === 'ready'),
    );
    expect(replayed.find((e) => e.event === 'note')?.data).toMatchObject({
      turnId: turn!.turnId,
      step: 1,
      content: "I'll check the pods first.",
    });

    // A long one is stored cut to its bound.
    await h.send(id, 'long note');
    const cut = (await detail(id)).turns.at(-1)!.notes[0]!.content;
    expect(cut.startsWith("I'll check the pods first.")).toBe(true);
    expect(cut.length).toBe(MAX_NOTE_CHARS);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('records calls asked for at the step limit as not run, with the reason, and runs none', async () => {
    // Asked for at every step, also the last, where the model is offered no tools.
    h.script.current = () => ({
      toolCalls: [{ name: 'run_command', arguments: { command: 'echo step' } }],
    });
    const id = await h.newConversation();
    conversations.push(id);
    const events = await h.send(id, 'keep going');
    expect((events.at(-1)!.data as { content: string }).content).toContain(
      'reached its limit of 3 steps',
    );
    const turn = (await detail(id)).turns[0]!;
    expect(turn.status).toBe('step_limit');
    expect(turn.toolCalls.map((c) => [c.step, c.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
      [3, 'not_run'],
    ]);
    expect(turn.toolCalls[2]).toMatchObject({
      status: 'not_run',
      statusReason: 'Not run: the turn reached its limit of 3 steps.',
      exitCode: null,
      startedAt: null,
    });
  });

  it('records calls asked for past the token budget as not run, with the reason', async () => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? {
            // The fake counts a character as a token: this step alone is over the budget.
            text: `Let me look. ${'y'.repeat(1_100)}`,
            toolCalls: [{ name: 'run_command', arguments: { command: 'echo never' } }],
          }
        : { text: 'should not be asked again' };
    const id = await h.newConversation();
    conversations.push(id);
    const events = await h.send(id, 'spend tokens');
    expect((events.at(-1)!.data as { content: string }).content).toMatch(
      /^I stopped: this turn used \d+ tokens, its limit is 1000\./,
    );
    const turn = (await detail(id)).turns[0]!;
    expect(turn.status).toBe('failed');
    expect(turn.toolCalls).toHaveLength(1);
    expect(turn.toolCalls[0]).toMatchObject({ status: 'not_run', exitCode: null, output: null });
    expect(turn.toolCalls[0]!.statusReason).toMatch(
      /^Not run: the turn reached its token budget \(\d+ of 1000 tokens\)\.$/,
    );
    expect(h.llm.requests.at(-1)!.messages.some((m) => m.role === 'tool')).toBe(false);
  });

  it('counts a step’s usage once when its write runs again (a retried LLM activity)', async () => {
    const id = conversations[0]!;
    const db = h.app.database.prisma;
    const { turnId } = (await detail(id)).turns[0]!;
    const before = await db.turn.findFirstOrThrow({ where: { conversationId: id, turnId } });
    const step1 = await db.turnStep.findFirstOrThrow({
      where: { conversationId: id, turnId, step: 1 },
    });
    expect(before.steps).toBe(2);
    const again = {
      conversationId: id,
      turnId,
      step: 1,
      model: step1.model!,
      usage: { promptTokens: step1.promptTokens, completionTokens: step1.completionTokens },
      note: step1.note,
    };
    const prices = new PriceTable();
    await recordStep(db, prices, again);
    await recordStep(db, prices, again);
    const after = await db.turn.findFirstOrThrow({ where: { conversationId: id, turnId } });
    expect(after).toMatchObject({
      steps: before.steps,
      promptTokens: before.promptTokens,
      completionTokens: before.completionTokens,
    });
    expect(after.costUsd).toBeCloseTo(before.costUsd, 12);

    // A retry whose answer used other numbers: the step counts as that answer, still once.
    await recordStep(db, prices, { ...again, usage: { promptTokens: 1, completionTokens: 2 } });
    const moved = await db.turn.findFirstOrThrow({ where: { conversationId: id, turnId } });
    expect(moved.steps).toBe(before.steps);
    expect(moved.promptTokens).toBe(before.promptTokens - step1.promptTokens + 1);
    expect(moved.completionTokens).toBe(before.completionTokens - step1.completionTokens + 2);
    expect(await db.turnStep.count({ where: { conversationId: id, turnId } })).toBe(2);
  });

  it('replays the recorded histories of these turns', async () => {
    expect(await replayConversations(h.app, conversations)).toBe(conversations.length);
  });
});
