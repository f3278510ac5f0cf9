import { useState } from 'react';
import type { AuditEventView } from '../../../contract/index.js';
import {
  Badge,
  Button,
  Empty,
  ErrorNote,
  Loading,
  PageHeader,
  formatTime,
  inputClass,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { Link } from '../router.js';
import { useApi } from '../session.js';

const PAGE = 50;
const OUTCOME_TONE = { ok: 'green', refused: 'amber', error: 'red' } as const;

/** The broker's audit trail for the signed-in user, newest first, one page at a time. */
export function AuditPage() {
  const api = useApi();
  // Each entry is the `before` cursor of a page; the first page has none.
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const before = cursors.at(-1) ?? null;
  const page = useLoad(() => api.audit({ limit: PAGE, before }), [api, before]);
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const events = page.state.kind === 'ready' ? page.state.value.events : [];
  const actions = [...new Set(events.map((e) => e.action))].sort();
  const t = target.trim().toLowerCase();
  const shown = events.filter(
    (e) => (!action || e.action === action) && (!t || e.target.toLowerCase().includes(t)),
  );

  return (
    <>
      <PageHeader title="Audit log">
        Every credential the broker issued, refreshed or refused for your sandboxes. Filters apply
        to the page shown.
      </PageHeader>
      <div className="mb-4 grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor="audit-action" className="mb-1 block text-sm font-medium">
            Kind
          </label>
          <select
            id="audit-action"
            className={inputClass}
            value={action}
            onChange={(e) => setAction(e.target.value)}
          >
            <option value="">All kinds</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-target" className="mb-1 block text-sm font-medium">
            Cloud or integration
          </label>
          <input
            id="audit-target"
            className={inputClass}
            placeholder="aws, gcp, github…"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
          />
        </div>
      </div>
      {page.state.kind === 'loading' ? <Loading /> : null}
      {page.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void page.reload()}>{page.state.message}</ErrorNote>
      ) : null}
      {page.state.kind === 'ready' && shown.length === 0 ? (
        <Empty>{events.length ? 'No event on this page matches.' : 'No audit events yet.'}</Empty>
      ) : null}
      {shown.length ? (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Audit events</caption>
            <thead className="bg-zinc-50 text-xs text-zinc-600 uppercase dark:bg-zinc-900 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-3 py-2">
                  When
                </th>
                <th scope="col" className="px-3 py-2">
                  Kind
                </th>
                <th scope="col" className="px-3 py-2">
                  Target
                </th>
                <th scope="col" className="px-3 py-2">
                  Outcome
                </th>
                <th scope="col" className="px-3 py-2">
                  Detail
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {shown.map((e) => (
                <Row key={e.id} event={e} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="mt-4 flex justify-between">
        <Button disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </Button>
        <Button
          disabled={page.state.kind !== 'ready' || !page.state.value.next}
          onClick={() =>
            page.state.kind === 'ready' &&
            setCursors((c) => [...c, page.state.kind === 'ready' ? page.state.value.next : null])
          }
        >
          Older
        </Button>
      </div>
    </>
  );
}

function Row({ event: e }: { event: AuditEventView }) {
  const tone = OUTCOME_TONE[e.outcome as keyof typeof OUTCOME_TONE] ?? 'zinc';
  return (
    <tr className="align-top">
      <td className="px-3 py-2 whitespace-nowrap">
        <time dateTime={e.at}>{formatTime(e.at)}</time>
      </td>
      <td className="px-3 py-2">{e.action}</td>
      <td className="px-3 py-2">{e.target}</td>
      <td className="px-3 py-2">
        <Badge tone={tone}>{e.outcome}</Badge>
      </td>
      <td className="px-3 py-2 text-xs">
        {e.conversationId ? (
          <Link href={`/conversations/${e.conversationId}`} className="mr-2 underline">
            conversation
          </Link>
        ) : null}
        {e.detail ? <code className="break-all">{JSON.stringify(e.detail)}</code> : null}
      </td>
    </tr>
  );
}
