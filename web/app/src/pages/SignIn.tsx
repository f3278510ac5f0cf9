import { useState } from 'react';
import { Button, Card, ErrorNote, Loading, formatTime, messageOf } from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { useLocation } from '../router.js';
import { useApi, useSession } from '../session.js';

const PLATFORM_NAMES: Record<string, string> = {
  slack: 'Slack',
  teams: 'Microsoft Teams',
  discord: 'Discord',
  web: 'the portal',
};

/**
 * Where sign-in links land (`/auth/link?token=`). Opening the page signs no one in: it shows
 * the account, and only the "Sign in" button (a POST) uses the link up.
 */
export function SignInPage() {
  const api = useApi();
  const { refresh } = useSession();
  const { search, navigate } = useLocation();
  const token = search.get('token') ?? '';
  const info = useLoad(async () => (token ? api.signInInfo(token) : null), [api, token]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.signIn(token);
      await refresh();
      navigate('/integrations', { replace: true });
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  let body;
  if (!token) {
    body = (
      <ErrorNote>This page needs the sign-in link the bot sent you; open that link.</ErrorNote>
    );
  } else if (info.state.kind === 'loading') {
    body = <Loading label="Checking the sign-in link…" />;
  } else if (info.state.kind === 'error') {
    body = <ErrorNote>{info.state.message}</ErrorNote>;
  } else if (info.state.value) {
    const { user, identity, expiresAt } = info.state.value;
    body = (
      <>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">This link signs you in as</p>
        <p className="mt-1 text-xl font-semibold" data-testid="sign-in-account">
          {user.displayName}
          {user.role === 'admin' ? (
            <span className="ml-2 text-sm font-normal text-zinc-500">(administrator)</span>
          ) : null}
        </p>
        {identity ? (
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Sent to {identity.displayName ?? 'you'} in{' '}
            {PLATFORM_NAMES[identity.platform] ?? identity.platform}.
          </p>
        ) : null}
        <p className="mt-3 text-xs text-zinc-500">
          The link works once, until {formatTime(expiresAt)}. If you did not ask for it, close this
          page.
        </p>
        {error ? (
          <div className="mt-4">
            <ErrorNote>{error}</ErrorNote>
          </div>
        ) : null}
        <Button tone="primary" className="mt-5 w-full" onClick={signIn} disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </>
    );
  }
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <Card className="w-full max-w-sm">
        <h1 className="mb-4 text-lg font-semibold">Sign in to Dynamiq</h1>
        {body}
      </Card>
    </main>
  );
}

/** Shown on every portal page when there is no session. */
export function SignedOutPage() {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <Card className="w-full max-w-md">
        <h1 className="text-lg font-semibold">You are not signed in</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          Open a sign-in link from the bot or from your administrator. The first time, use the link
          that <code>npm start</code> printed.
        </p>
      </Card>
    </main>
  );
}
