import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';

describe('the agent loop on a real Temporal server, a real sandbox and a real MCP server', () => {
  let h: AgentHarness;
  beforeAll(async () => {
    h = await startAgentHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs a command in the sandbox and an MCP tool, then answers with both results', async () => {
    h.script.current = (req) => {
      const results = toolResults(req);
      if (results.length === 0) {
        return {
          toolCalls: [
            { name: 'run_command', arguments: { command: 'echo sandbox-$((6*7))' } },
            { name: 'everything__echo', arguments: { message: 'from-mcp' } },
          ],
        };
      }
      const sandbox = /sandbox-\d+/.exec(results.join('\n'))?.[0];
      const mcp = /from-mcp/.exec(results.join('\n'))?.[0];
      return { text: `The sandbox said ${sandbox} and the MCP server said ${mcp}.` };
    };
    const id = await h.newConversation();
    const events = await h.send(id, 'check both');
    const final = events.at(-1)!;
    expect(final.event).toBe('message');
    expect(final.data).toMatchObject({
      role: 'assistant',
      content: 'The sandbox said sandbox-42 and the MCP server said from-mcp.',
    });
    expect(events.map((e) => e.event)).toContain('step');

    const detail = await h.detail(id);
    const [turn] = detail.turns;
    expect(turn!.status).toBe('completed');
    expect(turn!.promptTokens).toBeGreaterThan(0);
    expect(turn!.toolCalls.map((c) => [c.tool, c.status])).toEqual([
      ['run_command', 'completed'],
      ['everything__echo', 'completed'],
    ]);
    expect(turn!.toolCalls[0]!.exitCode).toBe(0);
    expect(turn!.toolCalls[0]!.output).toContain('sandbox-42');
    expect(turn!.toolCalls[1]!.output).toContain('from-mcp');
    // The LLM saw its tools under their stable names.
    const offered = h.llm.requests.at(-2)!.tools!.map((t) => t.function.name);
    expect(offered).toEqual(
      expect.arrayContaining([
        'run_command',
        'read_file',
        'write_file',
        'list_files',
        'everything__echo',
      ]),
    );
  });

  async function pendingApproval(id: string) {
    return eventually(async () => {
      const turn = (await h.detail(id)).turns.at(-1);
      return turn?.approvals.find((a) => a.status === 'pending');
    }, 'an approval request');
  }

  it('asks before a write, runs it once approved, and records who decided', async () => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? {
            toolCalls: [
              {
                name: 'run_command',
                arguments: { command: 'echo once >> /work/log.txt && cat /work/log.txt' },
              },
            ],
          }
        : { text: `done: ${toolResults(req).join(' ').includes('once') ? 'ran' : 'not run'}` };
    const id = await h.newConversation();
    const stream = h.start(id, 'append a line');
    const approval = await pendingApproval(id);
    expect(approval.summary).toBe('echo once >> /work/log.txt && cat /work/log.txt');

    const other = await h.app.api(
      `/api/conversations/${id}/approvals/00000000-0000-4000-8000-000000000000`,
      {
        method: 'POST',
        json: { decision: 'approve' },
      },
    );
    expect(other.status).toBe(404);
    const res = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'approved' });
    const again = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'deny' },
    });
    expect(again.status).toBe(409);

    const events = await stream;
    expect(events.at(-1)!.data).toMatchObject({ content: 'done: ran' });
    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(turn.approvals[0]).toMatchObject({
      status: 'approved',
      decidedByUserId: h.app.admin.id,
    });
  });

  it('tells the LLM when a call is denied, and does not run it', async () => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? {
            toolCalls: [
              { name: 'run_command', arguments: { command: 'kubectl delete pod web-1' } },
            ],
          }
        : { text: `told: ${toolResults(req)[0]}` };
    const id = await h.newConversation();
    const stream = h.start(id, 'delete the pod');
    const approval = await pendingApproval(id);
    const res = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'deny', reason: 'not in prod' },
    });
    expect(res.status).toBe(200);
    const events = await stream;
    expect((events.at(-1)!.data as { content: string }).content).toContain('Denied: not in prod');
    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.toolCalls[0]).toMatchObject({ status: 'denied', exitCode: null });
  });

  it('cancels a long command: the turn is stored as cancelled and the next message works', async () => {
    h.script.current = (req) => {
      const last = [...req.messages].reverse().find((m) => m.role === 'user')?.content;
      if (last === 'again') return { text: 'still here' };
      return { toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 300' } }] };
    };
    const id = await h.newConversation();
    // `sleep` only reads, so it runs without asking.
    const stream = h.start(id, 'wait a long time');
    await eventually(
      async () => (await h.detail(id)).turns[0]?.toolCalls[0]?.status === 'running',
      'the command to run',
    );
    const cancelledAt = Date.now();
    const cancel = await h.app.api(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const events = await stream;
    // Printed, not asserted: how long the cancelled turn took to end (with its command killed).
    console.info(`cancel → turn ended: ${Date.now() - cancelledAt} ms`);
    expect(events.at(-1)!.data).toMatchObject({ role: 'system', isError: false });
    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.status).toBe('cancelled');
    expect(turn.toolCalls[0]!.status).not.toBe('completed');
    const none = await h.app.api(`/api/conversations/${id}/cancel`, { method: 'POST' });
    expect(none.status).toBe(409);

    const next = await h.send(id, 'again');
    expect(next.at(-1)!.data).toMatchObject({ content: 'still here' });
  });

  it('answers an unknown tool and bad arguments to the LLM without running anything', async () => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? {
            toolCalls: [
              { name: 'no_such_tool', arguments: {} },
              { name: 'run_command', arguments: { cmd: 'ls' } },
            ],
          }
        : { text: toolResults(req).join(' | ') };
    const id = await h.newConversation();
    const events = await h.send(id, 'try things');
    const content = (events.at(-1)!.data as { content: string }).content;
    expect(content).toContain('There is no tool named no_such_tool');
    expect(content).toContain('do not match its schema');
    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.toolCalls.map((c) => c.status)).toEqual(['invalid', 'invalid']);
  });
});
