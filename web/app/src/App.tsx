import { Suspense, lazy, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Button, ErrorNote, Loading } from './components/ui.js';
import { IntegrationsPage } from './pages/Integrations.js';
import { SignInPage, SignedOutPage } from './pages/SignIn.js';
import { Link, match, useLocation } from './router.js';
import { useSession } from './session.js';

// People arrive from chat on the sign-in or Integrations page: the rest loads when opened.
const AuditPage = lazy(() => import('./pages/Audit.js').then((m) => ({ default: m.AuditPage })));
const CloudPage = lazy(() => import('./pages/Cloud.js').then((m) => ({ default: m.CloudPage })));
const loadConversationPages = () => import('./pages/Conversation.js');
const ChatPage = lazy(() => loadConversationPages().then((m) => ({ default: m.ChatPage })));
const ConversationPage = lazy(() =>
  loadConversationPages().then((m) => ({ default: m.ConversationPage })),
);
const ConversationsPage = lazy(() =>
  import('./pages/Conversations.js').then((m) => ({ default: m.ConversationsPage })),
);
const StatusPage = lazy(() => import('./pages/Status.js').then((m) => ({ default: m.StatusPage })));
const AdminPage = lazy(() => import('./pages/Admin.js').then((m) => ({ default: m.AdminPage })));

const NAV = [
  ['/chat', 'Chat'],
  ['/conversations', 'Conversations'],
  ['/integrations', 'Integrations'],
  ['/cloud', 'Cloud'],
  ['/audit', 'Audit'],
  ['/status', 'Status'],
] as const;
/** Shown to administrators only. */
const ADMIN_NAV = [['/admin', 'Admin']] as const;

const TITLES: Record<string, string> = Object.fromEntries([...NAV, ...ADMIN_NAV]);

export function App() {
  const { path, search, navigate } = useLocation();
  const { api, state } = useSession();
  // Where people land from chat: the page's code and data load alongside the session check.
  useState(() => {
    if (state.kind !== 'loading') return;
    const conversation = match('/conversations/:id', path);
    if ((path === '/' || path === '/integrations') && !search.has('connected'))
      api.prefetch({ integrations: true });
    else if (conversation) {
      api.prefetch({ conversationId: conversation.id! });
      void loadConversationPages();
    } else if (path === '/chat') void loadConversationPages();
  });

  useEffect(() => {
    const section = '/' + (path.split('/')[1] ?? '');
    document.title = TITLES[section] ? `${TITLES[section]} · Dynamiq` : 'Dynamiq';
  }, [path]);
  useEffect(() => {
    if (path === '/' && state.kind === 'signed-in') navigate('/integrations', { replace: true });
  }, [path, state.kind, navigate]);

  if (path === '/auth/link') return <SignInPage />;
  if (state.kind === 'loading') return <Loading />;
  if (state.kind === 'signed-out') return <SignedOutPage />;
  if (state.kind === 'error')
    return (
      <main className="p-6">
        <ErrorNote onRetry={() => window.location.reload()}>{state.message}</ErrorNote>
      </main>
    );
  return (
    <Shell>
      <Suspense fallback={<Loading />}>{route(path)}</Suspense>
    </Shell>
  );
}

function route(path: string): ReactNode {
  const conversation = match('/conversations/:id', path);
  if (conversation) return <ConversationPage key={conversation.id} id={conversation.id!} />;
  switch (path.replace(/\/+$/, '') || '/') {
    case '/':
    case '/integrations':
      return <IntegrationsPage />;
    case '/chat':
      return <ChatPage />;
    case '/conversations':
      return <ConversationsPage />;
    case '/cloud':
      return <CloudPage />;
    case '/audit':
      return <AuditPage />;
    case '/status':
      return <StatusPage />;
    case '/admin':
      return <AdminPage />;
    default:
      return (
        <div>
          <h1 className="text-xl font-semibold">No such page</h1>
          <p className="mt-2 text-sm">
            <Link href="/integrations" className="underline">
              Go to Integrations
            </Link>
          </p>
        </div>
      );
  }
}

function Shell({ children }: { children: ReactNode }) {
  const { path, navigate } = useLocation();
  const { state, refresh, signOut } = useSession();
  const user = state.kind === 'signed-in' || state.kind === 'expired' ? state.user : null;
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <header className="border-b border-zinc-200 bg-white/90 dark:border-zinc-800 dark:bg-zinc-950/90">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/integrations" className="font-semibold tracking-tight">
            Dynamiq
          </Link>
          <nav
            aria-label="Main"
            className="order-3 -mx-1 flex w-full flex-wrap gap-1 sm:order-none sm:w-auto"
          >
            {[...NAV, ...(user?.role === 'admin' ? ADMIN_NAV : [])].map(([href, label]) => (
              <Link
                key={href}
                href={href}
                aria-current={section === href ? 'page' : undefined}
                className="rounded-md px-2 py-1.5 text-sm whitespace-nowrap text-zinc-600 hover:bg-zinc-100 aria-[current=page]:bg-zinc-100 aria-[current=page]:font-medium aria-[current=page]:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:aria-[current=page]:bg-zinc-800 dark:aria-[current=page]:text-zinc-100"
              >
                {label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-zinc-600 dark:text-zinc-400">{user?.displayName}</span>
            <Button onClick={() => void signOut().finally(() => navigate('/', { replace: true }))}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      {state.kind === 'expired' ? (
        <div
          role="alert"
          className="border-b border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
        >
          <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2">
            <span>
              Your session has ended. Open a new sign-in link from the bot in another tab, then
              press Retry: what you typed here is kept.
            </span>
            <Button onClick={() => void refresh()}>Retry</Button>
          </div>
        </div>
      ) : null}
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
    </div>
  );
}
