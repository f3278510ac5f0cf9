import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import type {
  ConversationStreamEvent,
  ConversationView,
  MessageView,
} from '../../../contract/index.js';
import { ApiError } from '../api/client.js';
import type { Api } from '../api/client.js';
import { Badge, Button, ErrorNote, Loading, formatTime, messageOf } from '../components/ui.js';
import { useDraft } from '../hooks.js';
import { Link, useLocation } from '../router.js';
import { useApi } from '../session.js';
import { PLATFORM_LABEL, titleOf } from './Conversations.js';
import { TurnActivity } from './TurnActivity.js';
import { applyTurnEvent, isActive, lastStoredSeq, turnsFromDetail } from './turn-state.js';
import type { Turns } from './turn-state.js';

/** A first message typed in /chat, sent by the conversation's page once it is open. */
const handoff = new Map<string, string>();

const newTurnId = () => crypto.randomUUID();

type TokenEvent = Extract<ConversationStreamEvent, { event: 'token' }>['data'];
/** A turn's streamed text, per step: a retried step (higher attempt) starts its text over. */
type LiveText = Record<string, { attempt: number; text: string }>;

export function addToken(live: Record<string, LiveText>, turnId: string, t: TokenEvent) {
  const steps = live[turnId] ?? {};
  const stepId = t.stepId ?? '';
  const attempt = t.attempt ?? 1;
  const shown = steps[stepId];
  if (shown && attempt < shown.attempt) return live;
  const text = shown && shown.attempt === attempt ? shown.text + t.delta : t.delta;
  return { ...live, [turnId]: { ...steps, [stepId]: { attempt, text } } };
}

/** Without one step's streamed text (now shown as that step's note). */
export function dropStep(live: Record<string, LiveText>, turnId: string, stepId: string) {
  const steps = live[turnId];
  if (!steps?.[stepId]) return live;
  const { [stepId]: _, ...rest } = steps;
  return { ...live, [turnId]: rest };
}

const liveTextOf = (steps: LiveText | undefined) =>
  Object.values(steps ?? {})
    .map((s) => s.text)
    .join('');

/**
 * Follows a conversation: the stored messages, then live events over SSE. A dropped stream
 * reconnects from the last message it saw (Last-Event-ID semantics via `after`), so nothing is
 * lost or shown twice. `ownTurns` are this tab's turns, whose tokens come from the POST.
 */
export function useConversationFeed(api: Api, id: string, ownTurns: React.RefObject<Set<string>>) {
  const [conversation, setConversation] = useState<ConversationView | null>(null);
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [live, setLive] = useState<Record<string, LiveText>>({});
  const [turns, setTurns] = useState<Turns>({});
  const [error, setError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);

  const addMessage = useCallback((m: MessageView) => {
    setMessages((list) =>
      list.some((x) => x.id === m.id) ? list : [...list, m].sort((a, b) => a.seq - b.seq),
    );
    if (m.role === 'assistant' && m.turnId) {
      const turnId = m.turnId;
      setLive(({ [turnId]: _, ...rest }) => rest);
    }
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    let lastSeq = 0;
    (async () => {
      try {
        const detail = await api.conversation(id);
        setConversation(detail.conversation);
        setMessages(detail.messages);
        setTurns(turnsFromDetail(detail.turns));
        lastSeq = lastStoredSeq(detail.messages, detail.turns);
      } catch (err) {
        if (!abort.signal.aborted) setError(messageOf(err));
        return;
      }
      for (let attempt = 0; !abort.signal.aborted; attempt++) {
        try {
          await api.follow(
            id,
            lastSeq,
            (e) => {
              if (e.event === 'ready') {
                attempt = 0;
                setConnected(true);
              } else if (e.event === 'message') {
                lastSeq = Math.max(lastSeq, e.data.seq);
                addMessage(e.data);
              } else if (e.event === 'token' && e.data.turnId) {
                const turnId = e.data.turnId;
                if (ownTurns.current.has(turnId)) return;
                setLive((l) => addToken(l, turnId, e.data));
              } else if (e.event === 'note') {
                lastSeq = Math.max(lastSeq, e.data.seq);
                // The step's text is its note from now on, not part of the answer streaming.
                const { turnId, stepId } = e.data;
                setLive((l) => dropStep(l, turnId, stepId));
                setTurns((t) => applyTurnEvent(t, e));
              } else {
                if (e.event === 'tool.call' || e.event.startsWith('approval.'))
                  lastSeq = Math.max(lastSeq, (e.data as { seq: number }).seq);
                setTurns((t) => applyTurnEvent(t, e));
              }
            },
            abort.signal,
          );
        } catch (err) {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.status < 500) {
            setError(err.message);
            return;
          }
        }
        setConnected(false);
        // Back off a little on repeated drops; the server keeps everything we missed.
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
      }
    })();
    return () => abort.abort();
  }, [api, id, addMessage, ownTurns]);

  return { conversation, messages, live, setLive, turns, setTurns, addMessage, error, connected };
}

export function ConversationPage({ id }: { id: string }) {
  const api = useApi();
  const ownTurns = useRef(new Set<string>());
  const feed = useConversationFeed(api, id, ownTurns);
  const [draft, setDraft] = useDraft(`conversation.${id}`);
  const [sending, setSending] = useState<string | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const { conversation, messages, live, setLive, turns, setTurns, addMessage } = feed;
  const [stopping, setStopping] = useState(false);
  const [stopError, setStopError] = useState<string | null>(null);

  const decide = useCallback(
    async (approvalId: string, decision: 'approve' | 'deny') => {
      await api.decideApproval(id, approvalId, { decision });
    },
    [api, id],
  );
  const stop = async () => {
    setStopping(true);
    setStopError(null);
    try {
      await api.cancelTurn(id);
    } catch (err) {
      setStopError(messageOf(err));
    } finally {
      setStopping(false);
    }
  };

  const send = useCallback(
    async (text: string) => {
      const turnId = newTurnId();
      ownTurns.current.add(turnId);
      setSending(turnId);
      setSendError(null);
      setNote(null);
      try {
        await api.sendMessage(id, { text, clientMessageId: turnId }, (e) => {
          if (e.event === 'accepted') setDraft((d) => (d.trim() === text.trim() ? '' : d));
          else if (e.event === 'token') setLive((l) => addToken(l, turnId, e.data));
          else if (e.event === 'message') {
            addMessage(e.data);
            setLive(({ [turnId]: _, ...rest }) => rest);
          } else if (e.event === 'timeout') setNote(e.data.message);
          else setTurns((t) => applyTurnEvent(t, e));
        });
      } catch (err) {
        setSendError(messageOf(err));
      } finally {
        setSending(null);
      }
    },
    [api, id, addMessage, setDraft, setLive, setTurns],
  );

  // A first message typed in /chat arrives here once the conversation exists.
  useEffect(() => {
    const text = handoff.get(id);
    if (text === undefined) return;
    handoff.delete(id);
    // Kept in the composer until the server accepts it, so a failure loses nothing.
    setDraft(text);
    void send(text);
  }, [id, send, setDraft]);

  if (feed.error && !conversation) return <ErrorNote>{feed.error}</ErrorNote>;
  if (!conversation) return <Loading label="Loading the conversation…" />;
  const pending = Object.entries(live)
    .map(([turnId, steps]) => [turnId, liveTextOf(steps)] as const)
    .filter(([, text]) => text);
  const canReply = conversation.platform === 'web';
  const running = Object.values(turns).some(isActive);
  const actions = { decide };
  // Each turn's activity goes after the message that started it; others (no message yet) last.
  const placed = new Set(messages.filter((m) => m.role === 'user').map((m) => m.turnId));
  const unplaced = Object.values(turns).filter((t) => !placed.has(t.turnId));

  return (
    <div className="flex min-h-[calc(100vh-10rem)] flex-col">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
        <div>
          <Link
            href="/conversations"
            className="text-sm text-indigo-600 underline dark:text-indigo-400"
          >
            ← Conversations
          </Link>
          <h1 className="mt-1 text-xl font-semibold">{titleOf(conversation)}</h1>
        </div>
        <span className="flex items-center gap-2 text-xs text-zinc-500">
          {running ? (
            <Button disabled={stopping} onClick={() => void stop()}>
              {stopping ? 'Stopping…' : 'Stop'}
            </Button>
          ) : null}
          <Badge tone="zinc">
            {PLATFORM_LABEL[conversation.platform] ?? conversation.platform}
          </Badge>
          <span aria-live="polite">{feed.connected ? 'Live' : 'Connecting…'}</span>
        </span>
      </div>
      <ol role="log" aria-label="Messages" className="flex-1 space-y-3">
        {messages.length === 0 && pending.length === 0 && !sending ? (
          <li className="text-sm text-zinc-500">No messages yet.</li>
        ) : null}
        {messages.map((m) => (
          <MessageWithActivity
            key={m.id}
            message={m}
            turn={m.role === 'user' && m.turnId ? turns[m.turnId] : undefined}
            actions={actions}
          />
        ))}
        {unplaced.map((t) => (
          <TurnActivity key={t.turnId} turn={t} actions={actions} />
        ))}
        {pending.map(([turnId, text]) => (
          <li
            key={turnId}
            className="max-w-[85%] rounded-lg bg-zinc-100 p-3 text-sm whitespace-pre-wrap dark:bg-zinc-800"
            data-testid="streaming-answer"
          >
            {text}
            <span className="ml-1 animate-pulse" aria-hidden>
              ▍
            </span>
          </li>
        ))}
        {sending && !live[sending] ? (
          <li className="text-sm text-zinc-500" role="status">
            Thinking…
          </li>
        ) : null}
      </ol>
      {note ? <p className="mt-3 text-sm text-zinc-500">{note}</p> : null}
      {stopError ? (
        <div className="mt-3">
          <ErrorNote>{stopError}</ErrorNote>
        </div>
      ) : null}
      {feed.error ? (
        <div className="mt-3">
          <ErrorNote>{feed.error}</ErrorNote>
        </div>
      ) : null}
      {sendError ? (
        <div className="mt-3">
          <ErrorNote>{sendError} What you typed is kept.</ErrorNote>
        </div>
      ) : null}
      {canReply ? (
        <Composer
          id={`composer-${id}`}
          value={draft}
          onChange={setDraft}
          disabled={Boolean(sending)}
          onSend={() => void send(draft.trim())}
        />
      ) : (
        <p className="mt-4 text-sm text-zinc-500">
          This conversation lives in{' '}
          {PLATFORM_LABEL[conversation.platform] ?? conversation.platform}; reply there.
        </p>
      )}
    </div>
  );
}

function MessageWithActivity(props: {
  message: MessageView;
  turn: Turns[string] | undefined;
  actions: Parameters<typeof TurnActivity>[0]['actions'];
}) {
  return (
    <>
      <MessageItem message={props.message} />
      {props.turn ? <TurnActivity turn={props.turn} actions={props.actions} /> : null}
    </>
  );
}

function MessageItem({ message: m }: { message: MessageView }) {
  const mine = m.role === 'user';
  const tone = m.isError
    ? 'border border-red-300 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100'
    : mine
      ? 'ml-auto bg-indigo-600 text-white'
      : m.role === 'assistant'
        ? 'bg-zinc-100 dark:bg-zinc-800'
        : 'border border-zinc-200 font-mono text-xs dark:border-zinc-700';
  return (
    <li className={`max-w-[85%] rounded-lg p-3 text-sm ${tone}`} data-role={m.role}>
      {m.role === 'system' || m.role === 'tool' ? (
        <p className="mb-1 text-[11px] font-semibold tracking-wide uppercase opacity-70">
          {m.role}
        </p>
      ) : null}
      <p className="break-words whitespace-pre-wrap">{m.content}</p>
      <p className={`mt-1 text-[11px] ${mine ? 'text-indigo-100' : 'text-zinc-500'}`}>
        <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
        {m.model ? ` · ${m.model}` : ''}
      </p>
    </li>
  );
}

function Composer(props: {
  id: string;
  value: string;
  onChange(v: string): void;
  onSend(): void;
  disabled: boolean;
}) {
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (!props.disabled && props.value.trim()) props.onSend();
    }
  };
  return (
    <form
      className="sticky bottom-0 mt-4 flex items-end gap-2 bg-white py-3 dark:bg-zinc-950"
      onSubmit={(e) => {
        e.preventDefault();
        if (props.value.trim()) props.onSend();
      }}
    >
      <label htmlFor={props.id} className="sr-only">
        Message
      </label>
      <textarea
        id={props.id}
        rows={2}
        placeholder="Ask the agent… (Enter sends, Shift+Enter for a new line)"
        className="block w-full resize-y rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500 dark:border-zinc-700 dark:bg-zinc-900"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={onKey}
      />
      <Button type="submit" tone="primary" disabled={props.disabled || !props.value.trim()}>
        Send
      </Button>
    </form>
  );
}

/** `/chat`: a new web conversation, created when the first message is sent. */
export function ChatPage() {
  const api = useApi();
  const { navigate } = useLocation();
  const [draft, setDraft] = useDraft('conversation.new');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    const text = draft.trim();
    setBusy(true);
    setError(null);
    try {
      const { conversation } = await api.createConversation(text.slice(0, 80));
      handoff.set(conversation.id, text);
      setDraft('');
      navigate(`/conversations/${conversation.id}`);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <div className="flex min-h-[calc(100vh-10rem)] flex-col">
      <h1 className="text-2xl font-semibold tracking-tight">Chat</h1>
      <p className="mt-1 flex-1 text-sm text-zinc-600 dark:text-zinc-400">
        Ask the agent about your systems. The answer streams in as it is written; the conversation
        is kept under Conversations.
      </p>
      {error ? <ErrorNote>{error} What you typed is kept.</ErrorNote> : null}
      <Composer
        id="composer-new"
        value={draft}
        onChange={setDraft}
        disabled={busy}
        onSend={() => void start()}
      />
    </div>
  );
}
