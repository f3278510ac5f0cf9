import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { AuthUserView } from '../../contract/index.js';
import { ApiError, createApi } from './api/client.js';
import type { Api } from './api/client.js';

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; user: AuthUserView }
  /** The session ended while a page was open: the page stays, with what was typed. */
  | { kind: 'expired'; user: AuthUserView }
  | { kind: 'error'; message: string };

interface SessionContextValue {
  api: Api;
  state: SessionState;
  /** Asks the server again (after signing in, or when the person pressed "Retry"). */
  refresh(): Promise<void>;
  /** Ends the session at the server; the portal then shows how to sign in. */
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/**
 * `fetch` is the browser's unless a test hands in its own. `signingIn`: the sign-in page is
 * open, where there is no session to ask about yet (and a 401 would only add noise).
 */
export function SessionProvider(props: {
  children: ReactNode;
  fetch?: typeof fetch;
  signingIn?: boolean;
}) {
  const [state, setState] = useState<SessionState>(
    props.signingIn ? { kind: 'signed-out' } : { kind: 'loading' },
  );
  const [skipFirst] = useState(Boolean(props.signingIn));
  const api = useMemo(
    () =>
      createApi({
        ...(props.fetch ? { fetch: props.fetch } : {}),
        onUnauthorized: () =>
          setState((s) => (s.kind === 'signed-in' ? { kind: 'expired', user: s.user } : s)),
      }),
    [props.fetch],
  );
  const refresh = useCallback(async () => {
    try {
      const { user } = await api.session();
      setState({ kind: 'signed-in', user });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setState((s) =>
          s.kind === 'signed-in' || s.kind === 'expired'
            ? { kind: 'expired', user: s.user }
            : { kind: 'signed-out' },
        );
      } else {
        setState({
          kind: 'error',
          message: err instanceof Error ? err.message : 'The server could not be reached.',
        });
      }
    }
  }, [api]);
  useEffect(() => {
    if (!skipFirst) void refresh();
  }, [refresh, skipFirst]);
  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setState({ kind: 'signed-out' });
    }
  }, [api]);
  const value = useMemo(() => ({ api, state, refresh, signOut }), [api, state, refresh, signOut]);
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession needs a <SessionProvider> above it');
  return value;
}

export const useApi = (): Api => useSession().api;
