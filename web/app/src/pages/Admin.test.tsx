import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../App.js';
import { json, renderAt, signedIn } from '../test-utils.js';

const USER = '2a7f1c9e-6b1d-4f3a-9c2e-8d5b4a3f2e10';

describe('the admin page', () => {
  it('lists users, sets a budget and a channel policy, and shows the server’s refusal', async () => {
    let budgets: unknown[] = [];
    let policies: unknown[] = [];
    const { calls } = renderAt('/admin', <App />, {
      'GET /api/session': signedIn,
      'GET /api/admin/users': () =>
        json(200, {
          users: [
            {
              id: USER,
              displayName: 'Ada',
              role: 'member',
              createdAt: '2026-12-02T05:00:00.000Z',
              identities: [
                { platform: 'slack', workspaceId: 'T1', platformUserId: 'U1', displayName: 'ada' },
              ],
            },
          ],
        }),
      'GET /api/admin/budgets': () => json(200, { budgets }),
      [`PUT /api/admin/budgets/user/${USER}`]: (call) => {
        const body = call.body as { tokensPerDay: number; costUsdPerDay: number | null };
        budgets = [
          { scope: 'user', subject: USER, ...body, updatedAt: '2026-12-02T05:00:00.000Z' },
        ];
        return json(200, budgets[0]);
      },
      'GET /api/admin/channel-policies': () => json(200, { policies }),
      'PUT /api/admin/channel-policies/slack%3AT1%3AC9': (call) => {
        const body = call.body as { allowedIntegrations: string[] };
        if (body.allowedIntegrations.includes('nope'))
          return json(400, {
            error: {
              code: 'dynamiq.http.invalid_request',
              message: 'Unknown integration(s): nope.',
            },
          });
        policies = [
          {
            channelKey: 'slack:T1:C9',
            ...(call.body as object),
            updatedAt: '2026-12-02T05:00:00.000Z',
          },
        ];
        return json(200, policies[0]);
      },
    });
    expect(await screen.findByText('Ada')).toBeTruthy();
    expect(screen.getByText('slack: ada')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');

    const budget = screen.getByRole('form', { name: 'Set a budget' });
    await userEvent.type(within(budget).getByLabelText('User id'), USER);
    await userEvent.type(within(budget).getByLabelText(/Tokens a day/), '50000');
    await userEvent.click(within(budget).getByRole('button', { name: 'Save budget' }));
    expect(await screen.findByText(/50,000 tokens a day/)).toBeTruthy();
    expect(calls.find((c) => c.method === 'PUT' && c.url.includes('/budgets/'))?.body).toEqual({
      tokensPerDay: 50000,
      costUsdPerDay: null,
    });

    const policy = screen.getByRole('form', { name: 'Set a channel policy' });
    await userEvent.type(within(policy).getByLabelText(/^Channel/), 'slack:T1:C9');
    await userEvent.selectOptions(within(policy).getByLabelText('Approvals'), 'ask-all');
    await userEvent.type(within(policy).getByLabelText(/Only these integrations/), 'github, nope');
    await userEvent.click(within(policy).getByRole('button', { name: 'Save policy' }));
    expect(await within(policy).findByText(/Unknown integration\(s\): nope/)).toBeTruthy();
    // What was typed stays for a fix.
    await userEvent.clear(within(policy).getByLabelText(/Only these integrations/));
    await userEvent.type(within(policy).getByLabelText(/Only these integrations/), 'github');
    await userEvent.click(within(policy).getByRole('button', { name: 'Save policy' }));
    await waitFor(() =>
      expect(screen.getByText(/Ask before every call; only github/)).toBeTruthy(),
    );
  });

  it('is not offered to members', async () => {
    renderAt('/integrations', <App />, {
      'GET /api/session': () =>
        json(200, { user: { id: 'u2', displayName: 'Member', role: 'member' }, csrfToken: 'c' }),
      'GET /api/integrations': () => json(200, { integrations: [] }),
    });
    await screen.findByRole('link', { name: 'Integrations' });
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  });
});
