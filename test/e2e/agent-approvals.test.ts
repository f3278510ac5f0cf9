import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';
import { AGENT_JWT_SECRET, replayConversations, signInMember } from './agent-extras.js';

/** Approvals that time out, deciders who may not decide, and per-channel policy modes. */
describe('agent approvals and policy modes', () => {
  let h: AgentHarness;
  const conversations: string[] = [];
  beforeAll(async () => {
    h = await startAgentHarness({
      AGENT_APPROVAL_TIMEOUT_MS: '6000',
      JWT_SECRET: AGENT_JWT_SECRET,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const newConversation = async () => {
    const id = await h.newConversation();
    conversations.push(id);
    return id;
  };
  const pendingApproval = (id: string) =>
    eventually(async () => {
      const turn = (await h.detail(id)).turns.at(-1);
      return turn?.approvals.find((a) => a.status === 'pending');
    }, 'an approval request');
  /** Runs `command` once, then answers with what the tool said. */
  const runOnce = (command: string) => {
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: `tool said: ${toolResults(req).join(' | ')}` };
  };
  const channelKeyOf = async (conversationId: string) => {
    const c = await h.app.database.prisma.conversation.findUniqueOrThrow({
      where: { id: conversationId },
    });
    return `${c.platform}:${c.workspaceId}:${c.channelId}`;
  };

  /** Sets the channel's policy through the admin API; returns a function that removes it. */
  const setChannelPolicy = async (conversationId: string, body: object) => {
    const path = `/api/admin/channel-policies/${encodeURIComponent(await channelKeyOf(conversationId))}`;
    const res = await h.app.api(path, { method: 'PUT', json: body });
    expect(res.status).toBe(200);
    return async () => {
      expect((await h.app.api(path, { method: 'DELETE' })).status).toBe(200);
    };
  };

  it('reports a call nobody approved in time as not run, tells the LLM, and completes the turn', async () => {
    runOnce('echo late >> /work/late.txt');
    const id = await newConversation();
    const events = await h.send(id, 'append late');
    const content = (events.at(-1)!.data as { content: string }).content;
    expect(content).toBe(
      'tool said: Not run. Nobody approved it within 6 s. Do not retry it another way; tell the person what you would have done.',
    );
    // The LLM was told in the tool result of its second request.
    const told = toolResults(h.llm.requests.at(-1)!);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('Nobody approved it within 6 s');

    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.status).toBe('completed');
    expect(turn.toolCalls[0]).toMatchObject({ status: 'timed_out', exitCode: null });
    expect(turn.approvals[0]).toMatchObject({ status: 'timed_out', decidedByUserId: null });
    // The person following the turn saw it wait, then time out.
    const approvalSteps = events
      .filter((e) => e.event === 'step' && (e.data as { kind: string }).kind === 'approval')
      .map((e) => (e.data as { status: string; label: string }).label);
    expect(approvalSteps).toEqual([
      'waiting for approval: echo late >> /work/late.txt',
      'approval timed out',
    ]);
  }, 60_000);

  it('refuses with 403 a decision by a member who may not approve, and changes nothing', async () => {
    const member = await signInMember(h.app, 'Mallory');
    runOnce('echo guarded >> /work/guarded.txt && cat /work/guarded.txt');
    const id = await newConversation();
    const stream = h.start(id, 'append guarded');
    const approval = await pendingApproval(id);

    const refused = await member.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('dynamiq.agent.not_allowed');
    expect(body.error.message).toMatch(/may not approve/);
    // Nothing changed: still pending, nobody recorded as decider, the call not run.
    const row = await h.app.database.prisma.approval.findUniqueOrThrow({
      where: { id: approval.id },
    });
    expect(row).toMatchObject({ status: 'pending', decidedByUserId: null, decidedAt: null });
    const call = await h.app.database.prisma.toolCall.findUniqueOrThrow({
      where: { id: row.toolCallId },
    });
    expect(call.status).toBe('awaiting_approval');
    // The member cannot read the conversation either.
    expect((await member.api(`/api/conversations/${id}`)).status).toBe(404);

    // The person who asked still can.
    const ok = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(ok.status).toBe(200);
    const events = await stream;
    expect((events.at(-1)!.data as { content: string }).content).toContain('guarded');
    const turn = (await h.detail(id)).turns[0]!;
    expect(turn.approvals[0]).toMatchObject({
      status: 'approved',
      decidedByUserId: h.app.admin.id,
    });
    expect(turn.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  }, 60_000);

  it('asks even for a read-only command in a channel set to ask-all', async () => {
    runOnce('ls /work');
    const id = await newConversation();
    const removePolicy = await setChannelPolicy(id, { mode: 'ask-all' });
    try {
      const stream = h.start(id, 'list the files');
      const approval = await pendingApproval(id);
      expect(approval.summary).toBe('ls /work');
      const res = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
        method: 'POST',
        json: { decision: 'approve' },
      });
      expect(res.status).toBe(200);
      await stream;
      const turn = (await h.detail(id)).turns[0]!;
      expect(turn.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(turn.approvals).toHaveLength(1);
    } finally {
      await removePolicy();
    }
  }, 60_000);

  it('runs a write without asking in a channel set to auto', async () => {
    runOnce('echo auto >> /work/auto.txt && cat /work/auto.txt');
    const id = await newConversation();
    const removePolicy = await setChannelPolicy(id, { mode: 'auto' });
    try {
      const events = await h.send(id, 'append auto');
      expect((events.at(-1)!.data as { content: string }).content).toContain('auto');
      const turn = (await h.detail(id)).turns[0]!;
      expect(turn.approvals).toHaveLength(0);
      expect(turn.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(turn.toolCalls[0]!.output).toContain('auto');
    } finally {
      await removePolicy();
    }
  }, 60_000);

  it("lets a channel's configured approver decide, though they did not ask", async () => {
    const approver = await signInMember(h.app, 'Ada');
    runOnce('echo by-approver >> /work/approver.txt && cat /work/approver.txt');
    const id = await newConversation();
    const removePolicy = await setChannelPolicy(id, { approverUserIds: [approver.id] });
    try {
      const stream = h.start(id, 'append by approver');
      const approval = await pendingApproval(id);
      const res = await approver.api(`/api/conversations/${id}/approvals/${approval.id}`, {
        method: 'POST',
        json: { decision: 'approve' },
      });
      expect(res.status).toBe(200);
      await stream;
      const turn = (await h.detail(id)).turns[0]!;
      expect(turn.approvals[0]).toMatchObject({ status: 'approved', decidedByUserId: approver.id });
      expect(turn.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
    } finally {
      await removePolicy();
    }
  }, 60_000);

  it('replays the recorded histories of these turns without a determinism error', async () => {
    expect(await replayConversations(h.app, conversations)).toBe(conversations.length);
  }, 60_000);
});
