import type { StatusPart } from '../../../contract/index.js';
import { Badge, Card, ErrorNote, Loading, PageHeader } from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { useApi, useSession } from '../session.js';

const STATE = {
  ok: <Badge tone="green">Working</Badge>,
  off: <Badge tone="zinc">Not configured</Badge>,
  failing: <Badge tone="red">Failing</Badge>,
} as const;

export function StatusPage() {
  const api = useApi();
  const { state } = useSession();
  const admin = state.kind === 'signed-in' && state.user.role === 'admin';
  const ready = useLoad(() => api.readiness(), [api]);
  const status = useLoad(async () => (admin ? api.status() : null), [api, admin]);

  return (
    <>
      <PageHeader title="Status">
        What this deployment runs on, and what to set to fix each part.
      </PageHeader>
      <section aria-labelledby="readiness" className="mb-6">
        <h2 id="readiness" className="mb-2 font-semibold">
          Readiness
        </h2>
        {ready.state.kind === 'loading' ? <Loading /> : null}
        {ready.state.kind === 'error' ? (
          <ErrorNote onRetry={() => void ready.reload()}>{ready.state.message}</ErrorNote>
        ) : null}
        {ready.state.kind === 'ready' ? (
          <Card>
            <p className="font-medium">
              {ready.state.value.status === 'ready'
                ? 'Ready: the database and Temporal answer.'
                : 'Not ready.'}
            </p>
            <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
              <dt className="text-zinc-500">Database</dt>
              <dd>{ready.state.value.database}</dd>
              <dt className="text-zinc-500">Temporal</dt>
              <dd>{ready.state.value.temporal}</dd>
            </dl>
          </Card>
        ) : null}
      </section>
      {admin ? (
        <section aria-labelledby="parts">
          <h2 id="parts" className="mb-2 font-semibold">
            Parts
          </h2>
          {status.state.kind === 'loading' ? <Loading /> : null}
          {status.state.kind === 'error' ? (
            <ErrorNote onRetry={() => void status.reload()}>{status.state.message}</ErrorNote>
          ) : null}
          {status.state.kind === 'ready' && status.state.value ? (
            <ul className="grid gap-3 md:grid-cols-2">
              {status.state.value.parts.map((p) => (
                <Part key={p.id} part={p} />
              ))}
            </ul>
          ) : null}
        </section>
      ) : (
        <p className="text-sm text-zinc-500">
          An administrator sees the configuration of each part here.
        </p>
      )}
    </>
  );
}

function Part({ part }: { part: StatusPart }) {
  return (
    <Card as="li">
      <div className="flex items-center justify-between gap-2">
        <h3 className="font-medium">{part.label}</h3>
        {STATE[part.state]}
      </div>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{part.detail}</p>
      {part.fix ? (
        <p className="mt-2 text-sm">
          <span className="font-medium">To fix: </span>
          {part.fix}
        </p>
      ) : null}
      {part.link ? (
        <a
          href={part.link}
          className="mt-2 inline-block text-sm underline"
          target="_blank"
          rel="noreferrer"
        >
          Open
        </a>
      ) : null}
    </Card>
  );
}
