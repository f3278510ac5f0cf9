import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, renderAt, signedIn } from '../test-utils.js';
import { CloudPage } from './Cloud.js';

const stored = {
  id: '5a3c1d9e-4f0b-4c1e-9d7a-2b8e6f1a0c33',
  provider: 'aws',
  name: 'default',
  config: {
    roleArn: 'arn:aws:iam::123456789012:role/dynamiq',
    region: 'eu-west-1',
    sessionDurationSeconds: 3600,
  },
  hasSecret: false,
  externalId: 'srv-ext-id-0123456789abcdefghijklmnopqrstuvwxyz',
  createdAt: '2026-12-02T05:00:00.000Z',
  updatedAt: '2026-12-02T05:00:00.000Z',
};

describe('the Cloud credentials page', () => {
  it('shows the server-issued external id read-only, then the server’s validation error, then saves the role without one', async () => {
    let list: unknown[] = [];
    let attempt = 0;
    const { calls } = renderAt('/cloud', <CloudPage />, {
      'GET /api/session': signedIn,
      'GET /api/cloud/credentials': () => json(200, { credentials: list }),
      'GET /api/cloud/aws/external-id': () =>
        json(200, {
          externalId: stored.externalId,
          principal: 'arn:aws:iam::000000000000:role/dynamiq-platform',
          sessionTags: { 'dynamiq:user': 'u1' },
        }),
      'POST /api/cloud/credentials/aws': () => {
        if (++attempt === 1)
          return json(400, {
            error: {
              code: 'invalid_request',
              message:
                'body.roleArn: must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/dynamiq',
            },
          });
        list = [stored];
        return json(201, { credential: stored });
      },
    });
    expect(await screen.findByText(/No cloud credentials yet/)).toBeTruthy();
    const shown = (await screen.findByLabelText('Your external id')) as HTMLInputElement;
    expect(shown.value).toBe(stored.externalId);
    expect(shown.readOnly).toBe(true);
    expect(screen.getByText('arn:aws:iam::000000000000:role/dynamiq-platform')).toBeTruthy();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(stored.externalId);
    expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Role ARN'), 'not-an-arn');
    await userEvent.click(screen.getByRole('button', { name: 'Save AWS role' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/must be an IAM role ARN/);
    // A refused form keeps what was typed.
    expect((screen.getByLabelText('Role ARN') as HTMLInputElement).value).toBe('not-an-arn');

    await userEvent.clear(screen.getByLabelText('Role ARN'));
    await userEvent.type(screen.getByLabelText('Role ARN'), stored.config.roleArn);
    await userEvent.clear(screen.getByLabelText('Region'));
    await userEvent.type(screen.getByLabelText('Region'), 'eu-west-1');
    await userEvent.click(screen.getByRole('button', { name: 'Save AWS role' }));
    const item = (await screen.findByText(/in eu-west-1, up to 60 min/)).closest('li')!;
    expect(within(item).getByText(/Assumed with your external id srv-ext-id-/)).toBeTruthy();
    // The form sends no external id: the server refuses one.
    expect(calls.filter((c) => c.method === 'POST').at(-1)!.body).toEqual({
      name: 'default',
      roleArn: stored.config.roleArn,
      region: 'eu-west-1',
      sessionDurationSeconds: 3600,
    });
  });

  it('deletes a credential only after confirmation', async () => {
    let list: unknown[] = [stored];
    const { calls } = renderAt('/cloud', <CloudPage />, {
      'GET /api/session': signedIn,
      'GET /api/cloud/credentials': () => json(200, { credentials: list }),
      [`DELETE /api/cloud/credentials/${stored.id}`]: () => {
        list = [];
        return new Response(null, { status: 204 });
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Delete default' }));
    await userEvent.click(
      within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Delete' }),
    );
    await waitFor(() => expect(screen.getByText(/No cloud credentials yet/)).toBeTruthy());
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });
});
