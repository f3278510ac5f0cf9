import * as Dialog from '@radix-ui/react-dialog';
import * as Switch from '@radix-ui/react-switch';
import { useState } from 'react';
import type { IntegrationView } from '../../../contract/index.js';
import { ApiKeyForm } from '../components/ApiKeyForm.js';
import {
  Badge,
  Button,
  Card,
  Confirm,
  Empty,
  ErrorNote,
  Loading,
  Notice,
  PageHeader,
  inputClass,
  messageOf,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { Link, useLocation } from '../router.js';
import { useApi } from '../session.js';

const STATE_BADGE = {
  connected: <Badge tone="green">Connected</Badge>,
  needs_reconnect: <Badge tone="amber">Needs reconnect</Badge>,
  not_connected: <Badge tone="zinc">Not connected</Badge>,
} as const;

/** How the browser leaves for a provider's page; tests replace it. */
export interface Navigator {
  assign(url: string): void;
}

export function IntegrationsPage(props: { navigator?: Navigator }) {
  const api = useApi();
  const { search: params } = useLocation();
  const connected = params.get('connected');
  // Coming back from a provider: ask MCP providers again rather than reuse their last answer.
  const list = useLoad(() => api.integrations(Boolean(connected)), [api, connected]);
  const [query, setQuery] = useState('');
  const [category, setCategory] = useState('');
  const integrations = list.state.kind === 'ready' ? list.state.value.integrations : [];
  const categories = [...new Set(integrations.map((i) => i.category))].sort();
  const q = query.trim().toLowerCase();
  const shown = integrations.filter(
    (i) =>
      (!category || i.category === category) &&
      (!q || `${i.name} ${i.id} ${i.description}`.toLowerCase().includes(q)),
  );
  const replace = (next: IntegrationView) =>
    list.setState((s) =>
      s.kind === 'ready'
        ? {
            kind: 'ready',
            value: {
              integrations: s.value.integrations.map((i) => (i.id === next.id ? next : i)),
            },
          }
        : s,
    );
  const connectedName = connected && integrations.find((i) => i.id === connected)?.name;

  return (
    <>
      <PageHeader title="Integrations">
        Connect the tools the agent may use on your behalf. Keys and tokens are stored encrypted and
        never enter a sandbox: commands get short-lived credentials per run.
      </PageHeader>
      {connectedName ? (
        <div className="mb-4">
          <Notice>{connectedName} is connected.</Notice>
        </div>
      ) : null}
      <div className="mb-4 flex flex-col gap-3 sm:flex-row">
        <div className="flex-1">
          <label htmlFor="integration-search" className="sr-only">
            Search integrations
          </label>
          <input
            id="integration-search"
            type="search"
            placeholder="Search integrations"
            className={inputClass}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <div className="sm:w-56">
          <label htmlFor="integration-category" className="sr-only">
            Category
          </label>
          <select
            id="integration-category"
            className={inputClass}
            value={category}
            onChange={(e) => setCategory(e.target.value)}
          >
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.state.kind === 'loading' ? <Loading label="Loading integrations…" /> : null}
      {list.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void list.reload()}>{list.state.message}</ErrorNote>
      ) : null}
      {list.state.kind === 'ready' && shown.length === 0 ? (
        <Empty>No integration matches “{query}”.</Empty>
      ) : null}
      <p className="sr-only" aria-live="polite">
        {list.state.kind === 'ready' ? `${shown.length} integrations shown` : ''}
      </p>
      <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Integrations">
        {shown.map((i) => (
          <IntegrationCard
            key={i.id}
            integration={i}
            onChange={replace}
            navigator={props.navigator ?? window.location}
          />
        ))}
      </ul>
    </>
  );
}

export function IntegrationCard(props: {
  integration: IntegrationView;
  onChange(next: IntegrationView): void;
  navigator: Navigator;
}) {
  const api = useApi();
  const i = props.integration;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [keysOpen, setKeysOpen] = useState(false);
  const isKeys = i.authType === 'api_key' || i.authType === 'token';
  const headingId = `integration-${i.id}`;

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  // OAuth and provider-hosted connects leave for the provider's page, which comes back here.
  const connect = () =>
    act(async () => {
      const answer = await api.connect(i.id);
      if ('authorizeUrl' in answer) props.navigator.assign(answer.authorizeUrl);
      else if ('connectUrl' in answer) props.navigator.assign(answer.connectUrl);
    });
  const disconnect = () =>
    act(async () => {
      await api.disconnect(i.id);
      props.onChange({ ...i, status: 'not_connected', connection: null });
    });
  const setConsent = (allow: boolean) =>
    act(async () => {
      const { sandboxKeyConsentAt } = await api.setSandboxConsent(i.id, allow);
      if (i.connection)
        props.onChange({ ...i, connection: { ...i.connection, sandboxKeyConsentAt } });
    });

  let primary;
  if (i.authType === 'cloud_role') {
    primary = (
      <Link
        href="/cloud"
        className="text-sm font-medium text-indigo-600 underline dark:text-indigo-400"
      >
        Set up in Cloud credentials
      </Link>
    );
  } else if (i.providerType !== 'mcp' && !i.connectable) {
    const stem = `OAUTH_${i.id.toUpperCase().replaceAll('-', '_')}`;
    primary = (
      <p className="text-xs text-zinc-500">
        Not available yet: an administrator sets {stem}_CLIENT_ID and {stem}_CLIENT_SECRET.
      </p>
    );
  } else if (isKeys) {
    primary = (
      <Dialog.Root open={keysOpen} onOpenChange={setKeysOpen}>
        <Dialog.Trigger asChild>
          <Button tone={i.status === 'connected' ? 'secondary' : 'primary'}>
            {i.status === 'connected' ? 'Replace key' : 'Add key'}
          </Button>
        </Dialog.Trigger>
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 bg-black/40" />
          <Dialog.Content className="fixed top-1/2 left-1/2 max-h-[90vh] w-[min(28rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-5 shadow-xl dark:bg-zinc-900">
            <Dialog.Title className="text-lg font-semibold">Connect {i.name}</Dialog.Title>
            <Dialog.Description className="mt-1 mb-4 text-sm text-zinc-600 dark:text-zinc-400">
              The key is checked at {i.name} first, then stored encrypted.{' '}
              <a href={i.docsUrl} target="_blank" rel="noreferrer" className="underline">
                Where to find it
              </a>
            </Dialog.Description>
            <ApiKeyForm
              integration={i}
              onSubmit={async (input) => {
                const answer = await api.connect(i.id, input);
                if ('integration' in answer) props.onChange(answer.integration);
              }}
              onDone={() => setKeysOpen(false)}
            />
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
    );
  } else if (i.status !== 'connected') {
    primary = (
      <Button tone="primary" onClick={connect} disabled={busy}>
        {busy ? 'Opening…' : i.status === 'needs_reconnect' ? 'Reconnect' : 'Connect'}
      </Button>
    );
  }

  return (
    <Card as="li" className="flex flex-col gap-3">
      <div className="flex items-start justify-between gap-2">
        <div>
          <h2 id={headingId} className="font-semibold">
            {i.name}
          </h2>
          <p className="text-xs text-zinc-500">{i.category}</p>
        </div>
        {STATE_BADGE[i.status]}
      </div>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">{i.description}</p>
      {i.connection?.accountLabel ? (
        <p className="text-xs text-zinc-500">Account: {i.connection.accountLabel}</p>
      ) : null}
      {i.connection?.lastError ? (
        <p className="text-xs text-amber-700 dark:text-amber-300">{i.connection.lastError}</p>
      ) : null}
      {i.providerError ? (
        <p className="text-xs text-amber-700 dark:text-amber-300">{i.providerError}</p>
      ) : null}
      {(i.longLivedKeyOnly || i.connection?.needsSandboxConsent) &&
      i.status === 'connected' &&
      i.connection ? (
        <div className="rounded-md bg-zinc-50 p-3 dark:bg-zinc-800/60">
          <div className="flex items-center justify-between gap-3">
            <label htmlFor={`consent-${i.id}`} className="text-sm font-medium">
              Let sandbox commands use this key
            </label>
            <Switch.Root
              id={`consent-${i.id}`}
              checked={Boolean(i.connection.sandboxKeyConsentAt)}
              onCheckedChange={(v) => void setConsent(v)}
              disabled={busy}
              aria-describedby={`consent-${i.id}-why`}
              className="relative h-6 w-11 shrink-0 rounded-full bg-zinc-300 focus-visible:outline-2 focus-visible:outline-indigo-500 data-[state=checked]:bg-indigo-600 dark:bg-zinc-600"
            >
              <Switch.Thumb className="block h-5 w-5 translate-x-0.5 rounded-full bg-white shadow transition-transform data-[state=checked]:translate-x-5" />
            </Switch.Root>
          </div>
          <p id={`consent-${i.id}-why`} className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
            {i.longLivedKeyOnly
              ? `${i.name}’s command-line tool accepts only a long-lived key, not a short-lived token.`
              : `This ${i.name} token does not expire.`}{' '}
            If you switch this on, the agent’s commands get it for the length of one command, and a
            command could copy it. Off: the tool runs unauthenticated (API calls still work through
            Dynamiq, which adds the credential itself).
          </p>
        </div>
      ) : null}
      {error ? <ErrorNote>{error}</ErrorNote> : null}
      <div className="mt-auto flex flex-wrap items-center gap-2 pt-1">
        {primary}
        {i.status !== 'not_connected' ? (
          <Confirm
            trigger={
              <Button disabled={busy} aria-describedby={headingId}>
                Disconnect
              </Button>
            }
            title={`Disconnect ${i.name}?`}
            description="Dynamiq revokes its access at the provider where it can and deletes what it stored. The agent can no longer use it."
            confirmLabel="Disconnect"
            onConfirm={() => void disconnect()}
          />
        ) : null}
      </div>
    </Card>
  );
}
