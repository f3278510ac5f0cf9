import * as Tabs from '@radix-ui/react-tabs';
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { CloudCredentialView } from '../../../contract/index.js';
import {
  Badge,
  Button,
  Card,
  Confirm,
  Empty,
  ErrorNote,
  Field,
  Loading,
  Notice,
  PageHeader,
  formatTime,
  inputClass,
  messageOf,
} from '../components/ui.js';
import { useLoad } from '../hooks.js';
import { useApi } from '../session.js';

export function CloudPage() {
  const api = useApi();
  const list = useLoad(() => api.cloudCredentials(), [api]);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const added = (c: CloudCredentialView) => {
    setSaved(`Saved ${c.provider.toUpperCase()} credential “${c.name}”.`);
    void list.reload();
  };
  const remove = async (c: CloudCredentialView) => {
    setError(null);
    try {
      await api.deleteCloudCredential(c.id);
      setSaved(`Deleted “${c.name}”.`);
      void list.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <>
      <PageHeader title="Cloud credentials">
        The agent’s commands get short-lived cloud credentials from the broker: an AWS role it
        assumes, or a Google Cloud service account. What you enter here is stored encrypted and
        never shown again.
      </PageHeader>
      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="stored-heading">
          <h2 id="stored-heading" className="mb-3 font-semibold">
            Stored
          </h2>
          {saved ? (
            <div className="mb-3">
              <Notice>{saved}</Notice>
            </div>
          ) : null}
          {error ? (
            <div className="mb-3">
              <ErrorNote>{error}</ErrorNote>
            </div>
          ) : null}
          {list.state.kind === 'loading' ? <Loading /> : null}
          {list.state.kind === 'error' ? (
            <ErrorNote onRetry={() => void list.reload()}>{list.state.message}</ErrorNote>
          ) : null}
          {list.state.kind === 'ready' && list.state.value.credentials.length === 0 ? (
            <Empty>No cloud credentials yet. Add an AWS role or a GCP service account.</Empty>
          ) : null}
          <ul className="space-y-3">
            {list.state.kind === 'ready'
              ? list.state.value.credentials.map((c) => (
                  <Card as="li" key={c.id}>
                    <div className="flex items-start justify-between gap-2">
                      <div className="min-w-0">
                        <h3 className="font-medium">
                          <Badge tone="zinc">{c.provider.toUpperCase()}</Badge>{' '}
                          <span className="ml-1">{c.name}</span>
                        </h3>
                        <p className="mt-1 text-sm break-all text-zinc-600 dark:text-zinc-400">
                          {'roleArn' in c.config
                            ? `${c.config.roleArn} in ${c.config.region}, up to ${c.config.sessionDurationSeconds / 60} min`
                            : `${c.config.mode === 'key' ? 'Key of' : 'Impersonates'} ${c.config.serviceAccount}`}
                        </p>
                        <p className="mt-1 text-xs break-all text-zinc-500">
                          {c.provider === 'gcp' && c.hasSecret
                            ? 'Key file stored (not shown). '
                            : ''}
                          {c.externalId ? `Assumed with your external id ${c.externalId}. ` : ''}
                          Added {formatTime(c.createdAt)}
                        </p>
                      </div>
                      <Confirm
                        trigger={<Button aria-label={`Delete ${c.name}`}>Delete</Button>}
                        title={`Delete “${c.name}”?`}
                        description="Commands can no longer get credentials from it. The role or service account itself is not changed."
                        confirmLabel="Delete"
                        onConfirm={() => void remove(c)}
                      />
                    </div>
                  </Card>
                ))
              : null}
          </ul>
        </section>
        <section aria-labelledby="add-heading">
          <h2 id="add-heading" className="mb-3 font-semibold">
            Add
          </h2>
          <Card>
            <Tabs.Root defaultValue="aws">
              <Tabs.List
                aria-label="Cloud provider"
                className="mb-4 flex gap-1 border-b border-zinc-200 dark:border-zinc-800"
              >
                {[
                  ['aws', 'AWS role'],
                  ['gcp', 'GCP service account'],
                ].map(([value, label]) => (
                  <Tabs.Trigger
                    key={value}
                    value={value!}
                    className="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-500 data-[state=active]:border-indigo-600 data-[state=active]:text-indigo-700 dark:data-[state=active]:text-indigo-300"
                  >
                    {label}
                  </Tabs.Trigger>
                ))}
              </Tabs.List>
              <Tabs.Content value="aws">
                <AwsForm onAdded={added} />
              </Tabs.Content>
              <Tabs.Content value="gcp">
                <GcpForm onAdded={added} />
              </Tabs.Content>
            </Tabs.Root>
          </Card>
        </section>
      </div>
    </>
  );
}

function useSubmit(onAdded: (c: CloudCredentialView) => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: FormEvent, fn: () => Promise<{ credential: CloudCredentialView }>) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded((await fn()).credential);
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

function Submit(props: { busy: boolean; error: string | null; children: ReactNode }) {
  return (
    <>
      {props.error ? <ErrorNote>{props.error}</ErrorNote> : null}
      <Button type="submit" tone="primary" disabled={props.busy}>
        {props.busy ? 'Saving…' : props.children}
      </Button>
    </>
  );
}

export function AwsForm(props: { onAdded: (c: CloudCredentialView) => void }) {
  const api = useApi();
  const { error, busy, run } = useSubmit(props.onAdded);
  const [name, setName] = useState('default');
  const [roleArn, setRoleArn] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [minutes, setMinutes] = useState('60');
  const trust = useLoad(() => api.awsTrust(), [api]);
  const [copied, setCopied] = useState(false);
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        const ok = await run(e, () =>
          api.addAws({
            name,
            roleArn: roleArn.trim(),
            region: region.trim(),
            sessionDurationSeconds: Number(minutes) * 60,
          }),
        );
        if (ok) setRoleArn('');
      }}
    >
      <Field label="Name" htmlFor="aws-name" hint="Lowercase letters, digits, - and _.">
        <input
          id="aws-name"
          className={inputClass}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
      </Field>
      <Field
        label="Role ARN"
        htmlFor="aws-role"
        hint="The role the broker assumes with STS, e.g. arn:aws:iam::123456789012:role/dynamiq."
      >
        <input
          id="aws-role"
          className={inputClass}
          value={roleArn}
          onChange={(e) => setRoleArn(e.target.value)}
          required
          spellCheck={false}
        />
      </Field>
      <Field label="Region" htmlFor="aws-region">
        <input
          id="aws-region"
          className={inputClass}
          value={region}
          onChange={(e) => setRegion(e.target.value)}
          required
        />
      </Field>
      <Field
        label="Your external id"
        htmlFor="aws-external-id"
        hint={
          <>
            Made for you by the server; it never changes. The role’s trust policy must require it as{' '}
            <code>sts:ExternalId</code>
            {trust.state.kind === 'ready' && trust.state.value.principal ? (
              <>
                {' '}
                and trust <code className="break-all">{trust.state.value.principal}</code>
              </>
            ) : null}
            , or the broker cannot assume the role.
            {trust.state.kind === 'ready' ? (
              <>
                {' '}
                Every session is tagged <code>dynamiq:user</code> ={' '}
                <code className="break-all">{trust.state.value.sessionTags['dynamiq:user']}</code>,
                for an <code className="break-all">aws:RequestTag/dynamiq:user</code> condition.
              </>
            ) : null}
          </>
        }
      >
        {trust.state.kind === 'loading' ? <Loading /> : null}
        {trust.state.kind === 'error' ? (
          <ErrorNote onRetry={() => void trust.reload()}>{trust.state.message}</ErrorNote>
        ) : null}
        {trust.state.kind === 'ready' ? (
          <div className="flex gap-2">
            <input
              id="aws-external-id"
              className={`${inputClass} min-w-0 font-mono`}
              value={trust.state.value.externalId}
              readOnly
              spellCheck={false}
              onFocus={(e) => e.currentTarget.select()}
            />
            <Button
              onClick={() => {
                if (trust.state.kind !== 'ready') return;
                void navigator.clipboard
                  ?.writeText(trust.state.value.externalId)
                  .then(() => setCopied(true))
                  .catch(() => setCopied(false));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </div>
        ) : null}
      </Field>
      <Field
        label="Longest session, in minutes"
        htmlFor="aws-duration"
        hint="15 to 720; at most the role's MaxSessionDuration."
      >
        <input
          id="aws-duration"
          type="number"
          min={15}
          max={720}
          className={inputClass}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
        />
      </Field>
      <Submit busy={busy} error={error}>
        Save AWS role
      </Submit>
    </form>
  );
}

export function GcpForm(props: { onAdded: (c: CloudCredentialView) => void }) {
  const api = useApi();
  const { error, busy, run } = useSubmit(props.onAdded);
  const [name, setName] = useState('default');
  const [mode, setMode] = useState<'key' | 'impersonate'>('impersonate');
  const [keyText, setKeyText] = useState('');
  const [target, setTarget] = useState('');
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        const ok = await run(e, () =>
          api.addGcp(
            mode === 'key'
              ? { name, serviceAccountKey: keyText }
              : { name, targetServiceAccount: target.trim() },
          ),
        );
        if (ok) setKeyText('');
      }}
    >
      <Field label="Name" htmlFor="gcp-name" hint="Lowercase letters, digits, - and _.">
        <input
          id="gcp-name"
          className={inputClass}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
      </Field>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">How the broker gets tokens</legend>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="radio"
            name="gcp-mode"
            checked={mode === 'impersonate'}
            onChange={() => setMode('impersonate')}
          />
          Impersonate a service account an administrator mapped to you
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="radio"
            name="gcp-mode"
            checked={mode === 'key'}
            onChange={() => setMode('key')}
          />
          Use a service-account key file
        </label>
      </fieldset>
      {mode === 'impersonate' ? (
        <Field
          label="Service account"
          htmlFor="gcp-target"
          hint="e.g. deploy@my-project.iam.gserviceaccount.com. An administrator must map it to your account first."
        >
          <input
            id="gcp-target"
            type="email"
            className={inputClass}
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            required
          />
        </Field>
      ) : (
        <Field
          label="Key file (JSON)"
          htmlFor="gcp-key"
          hint="Paste the file's contents or choose the file. Stored encrypted, never shown again."
        >
          <textarea
            id="gcp-key"
            rows={5}
            autoComplete="off"
            spellCheck={false}
            className={`${inputClass} font-mono text-xs`}
            value={keyText}
            onChange={(e) => setKeyText(e.target.value)}
            required
          />
          <input
            type="file"
            accept="application/json,.json"
            aria-label="Choose key file"
            className="mt-2 block text-sm"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (file) setKeyText(await file.text());
              e.target.value = '';
            }}
          />
        </Field>
      )}
      <Submit busy={busy} error={error}>
        Save GCP credential
      </Submit>
    </form>
  );
}
