import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App.js';
import { addToken } from './Conversation.js';
import { json, renderAt, signedIn, sseResponse } from '../test-utils.js';

const ID = '0b8d6c52-3c8f-4d59-9a55-5c1f4cf0f6a1';
const conversation = {
  id: ID,
  title: 'Pods',
  platform: 'web',
  createdAt: '2026-12-02T05:00:00.000Z',
  updatedAt: '2026-12-02T05:00:00.000Z',
  lastMessageAt: null,
};
const message = (seq: number, role: 'user' | 'assistant', content: string, turnId = 't0') => ({
  id: `m${seq}`,
  seq,
  turnId,
  role,
  content,
  model: role === 'assistant' ? 'fake-model' : null,
  isError: false,
  createdAt: '2026-12-02T05:00:00.000Z',
});

describe('a conversation page', () => {
  it('follows live events and, when the stream drops, resumes after the last message it saw', async () => {
    const streams = [sseResponse(), sseResponse()];
    let opened = 0;
    const { calls } = renderAt(`/conversations/${ID}`, <App />, {
      'GET /api/session': signedIn,
      [`GET /api/conversations/${ID}`]: () =>
        json(200, { conversation, messages: [message(1, 'user', 'hi')] }),
      [`GET /api/conversations/${ID}/events`]: () => streams[opened++]!.response,
    });
    expect(await screen.findByText('hi')).toBeTruthy();
    await waitFor(() => expect(opened).toBe(1));
    act(() => {
      streams[0]!.send('ready', { lastEventId: 1 });
      streams[0]!.send('token', { turnId: 'other', delta: 'Two pods ' });
    });
    expect(await screen.findByTestId('streaming-answer')).toHaveProperty(
      'textContent',
      expect.stringContaining('Two pods'),
    );
    act(() => {
      streams[0]!.send('message', message(2, 'assistant', 'Two pods restart.', 'other'), 2);
      streams[0]!.end();
    });
    expect(await screen.findByText('Two pods restart.')).toBeTruthy();
    expect(screen.queryByTestId('streaming-answer')).toBeNull();
    await waitFor(() => expect(opened).toBe(2), { timeout: 3000 });
    const follows = calls.filter((c) => c.url.includes('/events'));
    expect(follows.map((c) => new URL(c.url, 'http://x').searchParams.get('after'))).toEqual([
      '1',
      '2',
    ]);
    // A message the first stream delivered is not shown twice when the store repeats it.
    act(() =>
      streams[1]!.send('message', message(2, 'assistant', 'Two pods restart.', 'other'), 2),
    );
    expect(screen.getAllByText('Two pods restart.')).toHaveLength(1);
  });

  it('streams the answer to a sent message, and keeps the typed text when the session has ended', async () => {
    const answer = sseResponse();
    let expired = false;
    renderAt(`/conversations/${ID}`, <App />, {
      'GET /api/session': () =>
        expired ? json(401, { error: { code: 'unauthorized', message: 'Sign in.' } }) : signedIn(),
      [`GET /api/conversations/${ID}`]: () => json(200, { conversation, messages: [] }),
      [`GET /api/conversations/${ID}/events`]: () => sseResponse().response,
      [`POST /api/conversations/${ID}/messages`]: () =>
        expired
          ? json(401, { error: { code: 'unauthorized', message: 'Sign in to the portal.' } })
          : answer.response,
    });
    const box = await screen.findByLabelText('Message');
    await userEvent.type(box, 'Which pods crash?{Enter}');
    act(() => {
      answer.send('accepted', { conversationId: ID, turnId: 't1' });
      answer.send('token', { delta: 'None ' });
      answer.send('token', { delta: 'crash.' });
    });
    expect(await screen.findByTestId('streaming-answer')).toHaveProperty(
      'textContent',
      expect.stringContaining('None crash.'),
    );
    act(() => {
      answer.send('message', message(2, 'assistant', 'None crash.', 't1'), 2);
      answer.end();
    });
    await waitFor(() => expect(screen.queryByTestId('streaming-answer')).toBeNull());
    expect(screen.getByText('None crash.')).toBeTruthy();
    expect((box as HTMLTextAreaElement).value).toBe('');

    expired = true;
    await userEvent.type(box, 'And now?{Enter}');
    expect((await screen.findByText(/Your session has ended/)).textContent).toMatch(/kept/);
    expect((box as HTMLTextAreaElement).value).toBe('And now?');
    expect(sessionStorage.getItem(`dynamiq.draft.conversation.${ID}`)).toBe('And now?');
  });

  const call = (over: Record<string, unknown> = {}) => ({
    id: 'c1',
    seq: 3,
    turnId: 't1',
    step: 1,
    position: 0,
    tool: 'run_command',
    kind: 'command',
    app: null,
    arguments: { command: 'kubectl get pods' },
    summary: 'kubectl get pods',
    status: 'completed',
    statusReason: null,
    integrations: ['kubernetes'],
    output: 'web-1   Running',
    outputBytes: 15,
    exitCode: 0,
    isError: false,
    durationMs: 1200,
    attempt: 1,
    createdAt: '2026-12-02T05:00:00.000Z',
    startedAt: '2026-12-02T05:00:00.000Z',
    finishedAt: '2026-12-02T05:00:01.200Z',
    ...over,
  });
  const approval = (over: Record<string, unknown> = {}) => ({
    id: 'a1',
    seq: 5,
    turnId: 't1',
    toolCallId: 'c2',
    tool: 'run_command',
    summary: 'kubectl delete pod web-1',
    reason: 'the command deletes a resource',
    requestedByUserId: 'u1',
    status: 'pending',
    decidedByUserId: null,
    decisionReason: null,
    expiresAt: '2026-12-02T05:30:00.000Z',
    createdAt: '2026-12-02T05:00:02.000Z',
    decidedAt: null,
    canDecide: true,
    ...over,
  });
  const connection = (over: Record<string, unknown>) => ({
    protocol: 'connect',
    host: 'kube.example.com',
    port: 443,
    address: '203.0.113.7',
    allowed: true,
    reason: null,
    bytesIn: 5120,
    bytesOut: 740,
    startedAt: '2026-12-02T05:00:00.100Z',
    durationMs: 900,
    ...over,
  });
  const network = {
    connections: [
      connection({}),
      connection({
        protocol: 'http',
        host: '127.0.0.1',
        port: 5432,
        address: '127.0.0.1',
        allowed: false,
        reason: 'a loopback address',
        bytesIn: 0,
        bytesOut: 0,
      }),
    ],
    dropped: 3,
  };
  const turn = (over: Record<string, unknown> = {}) => ({
    turnId: 't1',
    seq: 1,
    status: 'running',
    statusReason: null,
    authorUserId: 'u1',
    steps: 2,
    promptTokens: 1200,
    completionTokens: 80,
    costUsd: 0.0002,
    model: 'fake-model',
    queuedAt: '2026-12-02T05:00:00.000Z',
    startedAt: '2026-12-02T05:00:00.000Z',
    finishedAt: null,
    toolCalls: [
      call({ network }),
      call({
        id: 'c2',
        seq: 4,
        position: 1,
        summary: 'kubectl delete pod web-1',
        status: 'awaiting_approval',
        output: null,
        exitCode: null,
        durationMs: null,
      }),
    ],
    approvals: [approval()],
    ...over,
  });

  it('shows each tool call with its output, approves a pending one, and follows the decision live', async () => {
    const stream = sseResponse();
    const { calls } = renderAt(`/conversations/${ID}`, <App />, {
      'GET /api/session': signedIn,
      [`GET /api/conversations/${ID}`]: () =>
        json(200, {
          conversation,
          messages: [message(2, 'user', 'clean up the pods', 't1')],
          turns: [turn()],
        }),
      [`GET /api/conversations/${ID}/events`]: () => stream.response,
      [`POST /api/conversations/${ID}/approvals/a1`]: () =>
        json(200, { approvalId: 'a1', status: 'approved' }),
    });
    const first = await screen.findByTestId('tool-call-c1');
    expect(first.textContent).toMatch(/kubectl get pods.*done.*exit 0.*1\.2 s/);
    expect(first.textContent).toContain('as you, with kubernetes');
    await userEvent.click(within(first).getByText(/Output \(15 bytes\)/));
    expect(first.querySelector('pre')?.textContent).toBe('web-1   Running');
    // Where the command connected, open because one was refused; the rest past the bound counted.
    const net = within(first).getByRole('list', { name: 'Network connections' });
    expect([...net.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'kube.example.com:443 allowed',
      '127.0.0.1:5432 refused (a loopback address)',
      'and 3 more, not kept',
    ]);
    expect(first.textContent).toContain('Network (5 connections, 1 refused)');
    // A call without records (an MCP tool, or an older api that sends no field) shows none.
    expect(within(screen.getByTestId('tool-call-c2')).queryByText(/Network/)).toBeNull();
    expect(screen.getByText(/1,280 tokens/)).toBeTruthy();
    // Resumes after the newest stored row, a tool call or approval included, not only messages.
    await waitFor(() => expect(calls.some((c) => c.url.includes('/events?after=5'))).toBe(true));

    const pending = screen.getByRole('group', { name: 'Approval needed' });
    expect(pending.textContent).toContain('the command deletes a resource');
    await userEvent.click(within(pending).getByRole('button', { name: 'Approve' }));
    const decided = calls.find((c) => c.url.endsWith('/approvals/a1'));
    expect(decided).toMatchObject({ method: 'POST', body: { decision: 'approve' } });
    act(() => {
      stream.send('ready', { lastEventId: 5 });
      stream.send(
        'approval.decided',
        approval({ seq: 6, status: 'approved', decidedByUserId: 'u1' }),
        6,
      );
      stream.send('step', {
        turnId: 't1',
        stepId: 's2',
        kind: 'tool',
        status: 'started',
        label: 'running `kubectl delete pod web-1`',
        attempt: 1,
        elapsedMs: 10,
      });
    });
    expect(await screen.findByText('Approved')).toBeTruthy();
    expect(screen.queryByRole('group', { name: 'Approval needed' })).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('running `kubectl delete pod web-1`');
  });

  it('stops a running turn, and says why when nothing runs any more', async () => {
    let running = true;
    const { calls } = renderAt(`/conversations/${ID}`, <App />, {
      'GET /api/session': signedIn,
      [`GET /api/conversations/${ID}`]: () =>
        json(200, {
          conversation,
          messages: [message(2, 'user', 'sleep', 't1')],
          turns: [turn({ toolCalls: [], approvals: [] })],
        }),
      [`GET /api/conversations/${ID}/events`]: () => sseResponse().response,
      [`POST /api/conversations/${ID}/cancel`]: () =>
        running
          ? json(200, { turnId: 't1' })
          : json(409, {
              error: { code: 'dynamiq.agent.nothing_running', message: 'Nothing is running.' },
            }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/cancel'))).toBe(true);
    running = false;
    await userEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(await screen.findByText('Nothing is running.')).toBeTruthy();
  });

  it('a retried step replaces what its earlier attempt streamed', () => {
    let live = addToken({}, 't1', { delta: 'Hel', stepId: 's1', attempt: 1 });
    live = addToken(live, 't1', { delta: 'lo', stepId: 's1', attempt: 1 });
    live = addToken(live, 't1', { delta: 'Hi ', stepId: 's1', attempt: 2 });
    live = addToken(live, 't1', { delta: 'late', stepId: 's1', attempt: 1 });
    live = addToken(live, 't1', { delta: 'there', stepId: 's1', attempt: 2 });
    expect(live.t1!.s1).toEqual({ attempt: 2, text: 'Hi there' });
  });
});
