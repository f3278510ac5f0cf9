import { useState } from 'react';
import type { ConversationView } from '../../../contract/index.js';
import {
  Badge,
  Button,
  Card,
  Empty,
  ErrorNote,
  Loading,
  PageHeader,
  formatTime,
  inputClass,
  messageOf,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { Link } from '../router.js';
import { useApi } from '../session.js';

export const PLATFORM_LABEL: Record<string, string> = {
  web: 'Web',
  slack: 'Slack',
  teams: 'Teams',
  discord: 'Discord',
};

export const titleOf = (c: ConversationView) => c.title ?? 'Untitled conversation';

export function ConversationsPage() {
  const api = useApi();
  const first = useLoad(() => api.conversations(), [api]);
  const [more, setMore] = useState<ConversationView[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);

  const all = first.state.kind === 'ready' ? [...first.state.value.conversations, ...more] : [];
  const cursor = next === undefined && first.state.kind === 'ready' ? first.state.value.next : next;
  const q = query.trim().toLowerCase();
  const shown = q ? all.filter((c) => titleOf(c).toLowerCase().includes(q)) : all;

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.conversations({ before: cursor });
      setMore((m) => [...m, ...page.conversations]);
      setNext(page.next);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Conversations"
        actions={
          <Link
            href="/chat"
            className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500"
          >
            New chat
          </Link>
        }
      >
        Every conversation you had with the bot, in the portal and in chat, most recent first.
      </PageHeader>
      <div className="mb-4">
        <label htmlFor="conversation-search" className="sr-only">
          Search conversations
        </label>
        <input
          id="conversation-search"
          type="search"
          className={inputClass}
          placeholder="Search the titles of the loaded conversations"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {first.state.kind === 'loading' ? <Loading /> : null}
      {first.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void first.reload()}>{first.state.message}</ErrorNote>
      ) : null}
      {first.state.kind === 'ready' && shown.length === 0 ? (
        <Empty>
          {q ? 'No loaded conversation matches.' : 'No conversations yet. Start one in Chat.'}
        </Empty>
      ) : null}
      <ul className="space-y-2" aria-label="Conversations">
        {shown.map((c) => (
          <Card as="li" key={c.id} className="p-0">
            <Link
              href={`/conversations/${c.id}`}
              className="flex flex-wrap items-center justify-between gap-2 rounded-lg p-4 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-zinc-800/60"
            >
              <span className="font-medium">{titleOf(c)}</span>
              <span className="flex items-center gap-2 text-xs text-zinc-500">
                <Badge tone="zinc">{PLATFORM_LABEL[c.platform] ?? c.platform}</Badge>
                {formatTime(c.lastMessageAt ?? c.updatedAt)}
              </span>
            </Link>
          </Card>
        ))}
      </ul>
      {error ? <ErrorNote>{error}</ErrorNote> : null}
      {cursor ? (
        <div className="mt-4 text-center">
          <Button onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load older'}
          </Button>
        </div>
      ) : null}
    </>
  );
}
