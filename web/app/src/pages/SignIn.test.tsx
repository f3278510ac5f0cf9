import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, renderAt } from '../test-utils.js';
import { SignInPage } from './SignIn.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.a-long-enough-token.signature';
const info = {
  user: { displayName: 'Linus', role: 'member' },
  identity: { platform: 'slack', displayName: 'linus' },
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
};

describe('the sign-in page', () => {
  it('shows whose account the link opens and signs in only when Sign in is pressed', async () => {
    const { calls } = renderAt(`/auth/link?token=${TOKEN}`, <SignInPage />, {
      'GET /api/session': () => json(401, { error: { code: 'unauthorized', message: 'no' } }),
      'GET /auth/link/info': () => json(200, info),
      'POST /auth/link': () =>
        json(200, { user: { id: 'u2', displayName: 'Linus', role: 'member' } }),
    });
    expect(await screen.findByTestId('sign-in-account')).toHaveProperty('textContent', 'Linus');
    expect(screen.getByText(/Sent to linus in Slack/)).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(window.location.pathname).toBe('/integrations'));
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ url: '/auth/link', body: { token: TOKEN } });
  });

  it('says why a used or expired link cannot sign in, and offers no button', async () => {
    renderAt(`/auth/link?token=${TOKEN}`, <SignInPage />, {
      'GET /api/session': () => json(401, { error: { code: 'unauthorized', message: 'no' } }),
      'GET /auth/link/info': () =>
        json(400, {
          error: {
            code: 'login_link_used',
            message: 'This sign-in link was already used. Ask the bot for a new one.',
          },
        }),
    });
    expect((await screen.findByRole('alert')).textContent).toMatch(/already used/);
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
  });

  it('shows the server’s refusal when the POST fails, and keeps the button', async () => {
    renderAt(`/auth/link?token=${TOKEN}`, <SignInPage />, {
      'GET /api/session': () => json(401, { error: { code: 'unauthorized', message: 'no' } }),
      'GET /auth/link/info': () => json(200, info),
      'POST /auth/link': () =>
        json(400, {
          error: { code: 'invalid_login_link', message: 'This sign-in link has expired.' },
        }),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/expired/);
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
