import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App.js';
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
});
