import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationInput } from '../../workflows/definitions.js';
import { eventually, startAgentHarness } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';
import { replayConversations } from './agent-extras.js';

/**
 * The idle-close race: a conversation that has waited long enough closes its sandbox; a
 * message arriving while it closes must start a turn, never be dropped with the closing run.
 */
describe('a message sent while the idle conversation closes', () => {
  let h: AgentHarness;
  beforeAll(async () => {
    h = await startAgentHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is answered', async () => {
    h.script.current = (req) => ({
      text: `answered: ${[...req.messages].reverse().find((m) => m.role === 'user')?.content}`,
    });
    const id = await h.newConversation();
    const c = await h.app.database.prisma.conversation.findUniqueOrThrow({ where: { id } });
    const key = {
      platform: c.platform,
      workspaceId: c.workspaceId,
      channelId: c.channelId,
      threadId: c.threadId,
    } as ConversationInput['key'];
    // The run goes idle after 1 s, and its sandbox is held by a worker that is gone: closing
    // waits (up to 30 s) for that worker before another closes it, a window to write into.
    const input: ConversationInput = {
      conversationId: id,
      key,
      idleCloseAfterMs: 1_000,
      sandboxHost: `${h.app.taskQueue}/host/gone`,
    };
    const handle = await h.app.temporal!.workflow.start('conversationWorkflow', {
      workflowId: c.workflowId,
      taskQueue: h.app.taskQueue,
      args: [input],
    });
    await eventually(
      async () => {
        const { events } = await handle.fetchHistory();
        return events?.some(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'closeSandbox',
        );
      },
      'the idle conversation to start closing its sandbox',
      20_000,
    );

    const events = await h.send(id, 'are you still there?');
    expect(events.at(-1)!.data).toMatchObject({
      role: 'assistant',
      content: 'answered: are you still there?',
    });
    const turns = await h.app.database.prisma.turn.findMany({ where: { conversationId: id } });
    expect(turns.map((t) => t.status)).toEqual(['completed']);
    // One run did both: it closed, then answered the message that came meanwhile.
    const described = await handle.describe();
    expect(described.runId).toBe(handle.firstExecutionRunId);
    // The message did arrive while the sandbox was closing: after the close was ordered, before
    // the close on another worker (once the gone one's 30 s were up) was.
    const history = (await handle.fetchHistory()).events ?? [];
    const at = (match: (e: (typeof history)[number]) => boolean) => history.findIndex(match);
    const closes = history
      .map((e, i) =>
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'closeSandbox' ? i : -1,
      )
      .filter((i) => i >= 0);
    const signalled = at(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'chatEvent',
    );
    expect(closes).toHaveLength(2);
    expect(signalled).toBeGreaterThan(closes[0]!);
    expect(signalled).toBeLessThan(closes[1]!);

    expect(await replayConversations(h.app, [id])).toBe(1);
  }, 90_000);
});
