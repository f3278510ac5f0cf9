import { useCallback, useEffect, useRef, useState } from 'react';

export type Loadable<T> =
  { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; value: T };

/** Loads once on mount (and on `reload`); ignores answers that arrive after unmount. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<Loadable<T>>({ kind: 'loading' });
  const live = useRef(true);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    try {
      const value = await run();
      if (live.current) setState({ kind: 'ready', value });
    } catch (err) {
      if (live.current)
        setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }, [run]);
  useEffect(() => {
    live.current = true;
    setState({ kind: 'loading' });
    void reload();
    return () => {
      live.current = false;
    };
  }, [reload]);
  return { state, reload, setState };
}

/** A value kept in sessionStorage, so a draft survives an expired session or a reload. */
export function useDraft(key: string) {
  const storageKey = `dynamiq.draft.${key}`;
  const [value, setValue] = useState(() => sessionStorage.getItem(storageKey) ?? '');
  useEffect(() => {
    if (value) sessionStorage.setItem(storageKey, value);
    else sessionStorage.removeItem(storageKey);
  }, [storageKey, value]);
  return [value, setValue] as const;
}
