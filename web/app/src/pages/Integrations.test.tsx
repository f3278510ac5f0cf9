import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { IntegrationView } from '../../../contract/index.js';
import { json, renderAt, signedIn } from '../test-utils.js';
import { IntegrationsPage } from './Integrations.js';

const base = {
  capabilities: [],
  docsUrl: 'https://example.test/docs',
  connectable: true,
  credentialNames: null,
  longLivedKeyOnly: false,
  status: 'not_connected',
  connection: null,
} as const;
const entry = (over: Partial<IntegrationView> & Pick<IntegrationView, 'id' | 'name'>) =>
  ({
    description: `${over.name} tools`,
    category: 'Source control',
    providerType: 'cli',
    authType: 'oauth2',
    ...base,
    ...over,
  }) as IntegrationView;
const connection = {
  accountLabel: 'acme',
  scopes: [],
  expiresAt: null,
  connectedAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  lastError: null,
  sandboxKeyConsentAt: null,
};
const catalog = [
  entry({ id: 'github', name: 'GitHub' }),
  entry({ id: 'gmail', name: 'Gmail', category: 'Email', providerType: 'mcp' }),
  entry({
    id: 'datadog',
    name: 'Datadog',
    category: 'Monitoring',
    providerType: 'api',
    authType: 'api_key',
    credentialNames: ['apiKey', 'appKey'],
  }),
  entry({
    id: 'stripe',
    name: 'Stripe',
    category: 'Payments',
    authType: 'api_key',
    credentialNames: ['token'],
    longLivedKeyOnly: true,
    status: 'connected',
    connection,
  }),
];
const routes = (over: Record<string, Parameters<typeof renderAt>[2][string]> = {}) => ({
  'GET /api/session': signedIn,
  'GET /api/integrations': () => json(200, { integrations: catalog }),
  ...over,
});
const card = async (name: string) =>
  (await screen.findByRole('heading', { name })).closest('li') as HTMLElement;

describe('the Integrations page', () => {
  it('lists every card with its state, and filters by search and category', async () => {
    renderAt('/integrations', <IntegrationsPage navigator={{ assign: vi.fn() }} />, routes());
    const list = await screen.findByRole('list', { name: 'Integrations' });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(4));
    expect(within(await card('Stripe')).getByText('Connected')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Search integrations'), 'git');
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
    await userEvent.clear(screen.getByLabelText('Search integrations'));
    await userEvent.selectOptions(screen.getByLabelText('Category'), 'Monitoring');
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.querySelector('h2')?.textContent),
    ).toEqual(['Datadog']);
  });

  it('sends an OAuth connect to the provider, and an MCP connect to its hosted page', async () => {
    const assign = vi.fn();
    const { calls } = renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign }} />,
      routes({
        'POST /api/integrations/github/connect': () =>
          json(200, {
            authorizeUrl: 'https://provider.test/authorize?state=s',
            expiresAt: '2026-12-02T00:00:00Z',
          }),
        'POST /api/integrations/gmail/connect': () =>
          json(200, {
            connectUrl: 'https://pipedream.test/connect/abc',
            expiresAt: null,
            provider: 'pipedream',
          }),
      }),
    );
    await userEvent.click(within(await card('GitHub')).getByRole('button', { name: 'Connect' }));
    await waitFor(() =>
      expect(assign).toHaveBeenCalledWith('https://provider.test/authorize?state=s'),
    );
    await userEvent.click(within(await card('Gmail')).getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://pipedream.test/connect/abc'));
    const post = calls.find((c) => c.url === '/api/integrations/github/connect')!;
    expect(post.headers['x-csrf-token']).toBe('csrf-1');
  });

  it('shows the provider check’s refusal in the key form and keeps it open; a good key connects', async () => {
    let attempt = 0;
    const { calls } = renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({
        'POST /api/integrations/datadog/connect': () =>
          ++attempt === 1
            ? json(400, {
                error: {
                  code: 'key_rejected',
                  message: 'Datadog refused the key: 403 Forbidden. Check the key and its scopes.',
                },
              })
            : json(201, {
                checked: true,
                integration: {
                  ...catalog[2],
                  status: 'connected',
                  connection: { ...connection, accountLabel: 'prod' },
                },
              }),
      }),
    );
    await userEvent.click(within(await card('Datadog')).getByRole('button', { name: 'Add key' }));
    const dialog = await screen.findByRole('dialog');
    // Both names the catalog asks for are required before anything is sent.
    await userEvent.type(within(dialog).getByLabelText('API key'), 'k1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Check and save' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Enter the Application key/);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await userEvent.type(within(dialog).getByLabelText('Application key'), 'a1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Check and save' }));
    expect((await within(dialog).findByRole('alert')).textContent).toMatch(
      /Datadog refused the key/,
    );
    expect(calls.at(-1)!.body).toEqual({ credentials: { apiKey: 'k1', appKey: 'a1' } });

    await userEvent.click(within(dialog).getByRole('button', { name: 'Check and save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(within(await card('Datadog')).getByText('Connected')).toBeTruthy();
  });

  it('disconnects only after confirmation', async () => {
    const { calls } = renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({
        'DELETE /api/integrations/stripe/disconnect': () =>
          json(200, { integrationId: 'stripe', revoked: null }),
      }),
    );
    await userEvent.click(within(await card('Stripe')).getByRole('button', { name: 'Disconnect' }));
    const confirm = await screen.findByRole('alertdialog');
    await userEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);

    await userEvent.click(within(await card('Stripe')).getByRole('button', { name: 'Disconnect' }));
    await userEvent.click(
      within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }),
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('heading', { name: 'Stripe' }).closest('li')!).getByText(
          'Not connected',
        ),
      ).toBeTruthy(),
    );
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('explains and sets the long-lived key consent', async () => {
    const { calls } = renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({
        'PUT /api/integrations/stripe/sandbox-consent': () =>
          json(200, { integrationId: 'stripe', sandboxKeyConsentAt: '2026-12-02T05:00:00.000Z' }),
      }),
    );
    const toggle = await screen.findByRole('switch', { name: 'Let sandbox commands use this key' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText(/accepts only a long-lived key/)).toBeTruthy();
    await userEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('true'));
    expect(calls.at(-1)).toMatchObject({ method: 'PUT', body: { allow: true } });
  });

  it('asks consent for an OAuth token that does not expire (a GitHub OAuth app)', async () => {
    const github = entry({
      id: 'github',
      name: 'GitHub',
      status: 'connected',
      connection: { ...connection, needsSandboxConsent: true },
    });
    renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({ 'GET /api/integrations': () => json(200, { integrations: [github] }) }),
    );
    const toggle = await screen.findByRole('switch', { name: 'Let sandbox commands use this key' });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText(/This GitHub token does not expire/)).toBeTruthy();
  });

  it('asks nothing for a token that expires', async () => {
    const github = entry({
      id: 'github',
      name: 'GitHub',
      status: 'connected',
      connection: {
        ...connection,
        expiresAt: '2026-12-02T18:00:00.000Z',
        needsSandboxConsent: false,
      },
    });
    renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({ 'GET /api/integrations': () => json(200, { integrations: [github] }) }),
    );
    await screen.findByRole('heading', { name: 'GitHub' });
    expect(screen.queryByRole('switch')).toBeNull();
  });

  it('shows an error with a retry when the catalog cannot be loaded', async () => {
    let fail = true;
    renderAt(
      '/integrations',
      <IntegrationsPage navigator={{ assign: vi.fn() }} />,
      routes({
        'GET /api/integrations': () =>
          fail
            ? json(503, {
                error: { code: 'unavailable', message: 'The database is not answering.' },
              })
            : json(200, { integrations: catalog }),
      }),
    );
    expect((await screen.findByRole('alert')).textContent).toMatch(/database is not answering/);
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('heading', { name: 'GitHub' })).toBeTruthy();
  });
});
