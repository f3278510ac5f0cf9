import { useState } from 'react';
import type { FormEvent } from 'react';
import type { BudgetView, ChannelPolicyView, PolicyModeName } from '../../../contract/index.js';
import {
  Badge,
  Button,
  Card,
  Confirm,
  Empty,
  ErrorNote,
  Field,
  Loading,
  PageHeader,
  inputClass,
  messageOf,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { useApi, useSession } from '../session.js';

const MODES: Array<[PolicyModeName, string]> = [
  ['ask-writes', 'Ask before writes (default)'],
  ['ask-all', 'Ask before every call'],
  ['auto', 'Never ask'],
];

/** `/admin` (administrators): users, daily budgets and channel policies of the agent. */
export function AdminPage() {
  const { state } = useSession();
  if (state.kind !== 'signed-in' || state.user.role !== 'admin')
    return <ErrorNote>Only an administrator sees this page.</ErrorNote>;
  return (
    <>
      <PageHeader title="Admin">
        Who uses Dynamiq, what they may spend a day, and how each channel asks for approval. Changes
        apply to the next turn.
      </PageHeader>
      <Users />
      <Budgets />
      <ChannelPolicies />
    </>
  );
}

function Users() {
  const api = useApi();
  const users = useLoad(() => api.admin.users(), [api]);
  return (
    <section aria-labelledby="users" className="mb-8">
      <h2 id="users" className="mb-2 font-semibold">
        Users
      </h2>
      {users.state.kind === 'loading' ? <Loading /> : null}
      {users.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void users.reload()}>{users.state.message}</ErrorNote>
      ) : null}
      {users.state.kind === 'ready' ? (
        <ul className="grid gap-2 md:grid-cols-2">
          {users.state.value.users.map((u) => (
            <li key={u.id}>
              <Card>
                <p className="font-medium">
                  {u.displayName ?? 'Unnamed'}{' '}
                  {u.role === 'admin' ? <Badge tone="amber">administrator</Badge> : null}
                </p>
                <p className="mt-1 font-mono text-xs break-all text-zinc-500">{u.id}</p>
                {u.identities.length ? (
                  <p className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                    {u.identities
                      .map((i) => `${i.platform}: ${i.displayName ?? i.platformUserId}`)
                      .join(' · ')}
                  </p>
                ) : null}
              </Card>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const limitText = (b: BudgetView) =>
  [
    b.tokensPerDay !== null ? `${b.tokensPerDay.toLocaleString()} tokens` : null,
    b.costUsdPerDay !== null ? `$${b.costUsdPerDay.toFixed(2)}` : null,
  ]
    .filter(Boolean)
    .join(' and ') + ' a day';

/** A number field's value, or null when left empty. */
const numberOrNull = (v: string) => (v.trim() === '' ? null : Number(v));

function Budgets() {
  const api = useApi();
  const budgets = useLoad(() => api.admin.budgets(), [api]);
  const [scope, setScope] = useState<'user' | 'channel'>('user');
  const [subject, setSubject] = useState('');
  const [tokens, setTokens] = useState('');
  const [cost, setCost] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.admin.setBudget(scope, subject.trim(), {
        tokensPerDay: numberOrNull(tokens),
        costUsdPerDay: numberOrNull(cost),
      });
      setSubject('');
      setTokens('');
      setCost('');
      await budgets.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (b: BudgetView) => {
    try {
      await api.admin.deleteBudget(b.scope, b.subject);
      await budgets.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section aria-labelledby="budgets" className="mb-8">
      <h2 id="budgets" className="mb-2 font-semibold">
        Daily budgets
      </h2>
      {budgets.state.kind === 'loading' ? <Loading /> : null}
      {budgets.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void budgets.reload()}>{budgets.state.message}</ErrorNote>
      ) : null}
      {budgets.state.kind === 'ready' && budgets.state.value.budgets.length === 0 ? (
        <Empty>No budgets: turns are limited only by the per-turn limits.</Empty>
      ) : null}
      {budgets.state.kind === 'ready' && budgets.state.value.budgets.length ? (
        <ul className="mb-4 space-y-2">
          {budgets.state.value.budgets.map((b) => (
            <li
              key={`${b.scope}:${b.subject}`}
              className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-zinc-200 p-2 text-sm dark:border-zinc-700"
            >
              <span>
                <Badge tone="zinc">{b.scope}</Badge>{' '}
                <code className="font-mono text-xs break-all">{b.subject}</code>: {limitText(b)}
              </span>
              <Confirm
                trigger={<Button>Remove</Button>}
                title="Remove this budget?"
                description={`${b.scope} ${b.subject} will have no daily limit.`}
                confirmLabel="Remove"
                onConfirm={() => void remove(b)}
              />
            </li>
          ))}
        </ul>
      ) : null}
      <form
        onSubmit={(e) => void save(e)}
        className="grid gap-3 md:grid-cols-2"
        aria-label="Set a budget"
      >
        <Field htmlFor="budget-scope" label="For">
          <select
            id="budget-scope"
            className={inputClass}
            value={scope}
            onChange={(e) => setScope(e.target.value as 'user' | 'channel')}
          >
            <option value="user">a user</option>
            <option value="channel">a channel</option>
          </select>
        </Field>
        <Field
          htmlFor="budget-subject"
          label={scope === 'user' ? 'User id' : 'Channel (platform:workspace:channel)'}
        >
          <input
            id="budget-subject"
            className={inputClass}
            required
            value={subject}
            placeholder={scope === 'user' ? 'a user id from the list above' : 'slack:T0123:C0456'}
            onChange={(e) => setSubject(e.target.value)}
          />
        </Field>
        <Field htmlFor="budget-tokens" label="Tokens a day (empty: no token limit)">
          <input
            id="budget-tokens"
            className={inputClass}
            type="number"
            min={1}
            step={1}
            value={tokens}
            onChange={(e) => setTokens(e.target.value)}
          />
        </Field>
        <Field htmlFor="budget-cost" label="Dollars a day (empty: no cost limit)">
          <input
            id="budget-cost"
            className={inputClass}
            type="number"
            min={0.01}
            step={0.01}
            value={cost}
            onChange={(e) => setCost(e.target.value)}
          />
        </Field>
        {error ? (
          <div className="md:col-span-2">
            <ErrorNote>{error}</ErrorNote>
          </div>
        ) : null}
        <div className="md:col-span-2">
          <Button type="submit" tone="primary" disabled={busy || !subject.trim()}>
            Save budget
          </Button>
        </div>
      </form>
    </section>
  );
}

function ChannelPolicies() {
  const api = useApi();
  const policies = useLoad(() => api.admin.channelPolicies(), [api]);
  const [channelKey, setChannelKey] = useState('');
  const [mode, setMode] = useState<PolicyModeName>('ask-writes');
  const [integrations, setIntegrations] = useState('');
  const [approvers, setApprovers] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const list = (v: string) =>
    v
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter(Boolean);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const allowed = list(integrations);
      await api.admin.setChannelPolicy(channelKey.trim(), {
        mode,
        restrictIntegrations: allowed.length > 0,
        allowedIntegrations: allowed,
        approverUserIds: list(approvers),
      });
      setChannelKey('');
      setIntegrations('');
      setApprovers('');
      await policies.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (p: ChannelPolicyView) => {
    try {
      await api.admin.deleteChannelPolicy(p.channelKey);
      await policies.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section aria-labelledby="channels">
      <h2 id="channels" className="mb-2 font-semibold">
        Channel policies
      </h2>
      {policies.state.kind === 'loading' ? <Loading /> : null}
      {policies.state.kind === 'error' ? (
        <ErrorNote onRetry={() => void policies.reload()}>{policies.state.message}</ErrorNote>
      ) : null}
      {policies.state.kind === 'ready' && policies.state.value.policies.length === 0 ? (
        <Empty>No channel policies: every channel asks before writes.</Empty>
      ) : null}
      {policies.state.kind === 'ready' && policies.state.value.policies.length ? (
        <ul className="mb-4 space-y-2">
          {policies.state.value.policies.map((p) => (
            <li
              key={p.channelKey}
              className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-zinc-200 p-2 text-sm dark:border-zinc-700"
            >
              <span>
                <code className="font-mono text-xs break-all">{p.channelKey}</code>:{' '}
                {MODES.find(([m]) => m === p.mode)?.[1] ?? 'each integration’s mode'}
                {p.restrictIntegrations ? `; only ${p.allowedIntegrations.join(', ')}` : ''}
                {p.approverUserIds.length
                  ? `; ${p.approverUserIds.length} approver(s)`
                  : '; the person who asked approves'}
              </span>
              <Confirm
                trigger={<Button>Remove</Button>}
                title="Remove this policy?"
                description={`${p.channelKey} goes back to asking before writes.`}
                confirmLabel="Remove"
                onConfirm={() => void remove(p)}
              />
            </li>
          ))}
        </ul>
      ) : null}
      <form
        onSubmit={(e) => void save(e)}
        className="grid gap-3 md:grid-cols-2"
        aria-label="Set a channel policy"
      >
        <Field htmlFor="policy-channel" label="Channel (platform:workspace:channel)">
          <input
            id="policy-channel"
            className={inputClass}
            required
            value={channelKey}
            placeholder="slack:T0123:C0456"
            onChange={(e) => setChannelKey(e.target.value)}
          />
        </Field>
        <Field htmlFor="policy-mode" label="Approvals">
          <select
            id="policy-mode"
            className={inputClass}
            value={mode}
            onChange={(e) => setMode(e.target.value as PolicyModeName)}
          >
            {MODES.map(([m, label]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field htmlFor="policy-integrations" label="Only these integrations (empty: any)">
          <input
            id="policy-integrations"
            className={inputClass}
            value={integrations}
            placeholder="github, aws"
            onChange={(e) => setIntegrations(e.target.value)}
          />
        </Field>
        <Field htmlFor="policy-approvers" label="Approvers’ user ids (empty: the person who asked)">
          <input
            id="policy-approvers"
            className={inputClass}
            value={approvers}
            onChange={(e) => setApprovers(e.target.value)}
          />
        </Field>
        {error ? (
          <div className="md:col-span-2">
            <ErrorNote>{error}</ErrorNote>
          </div>
        ) : null}
        <div className="md:col-span-2">
          <Button type="submit" tone="primary" disabled={busy || !channelKey.trim()}>
            Save policy
          </Button>
        </div>
      </form>
    </section>
  );
}
