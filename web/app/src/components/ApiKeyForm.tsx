import * as Dialog from '@radix-ui/react-dialog';
import { useState } from 'react';
import type { FormEvent } from 'react';
import type { IntegrationView } from '../../../contract/index.js';
import { Button, ErrorNote, Field, inputClass, messageOf } from './ui.js';

const LABELS: Record<string, string> = {
  token: 'Token',
  apiKey: 'API key',
  appKey: 'Application key',
  secretKey: 'Secret key',
};
const labelOf = (name: string) =>
  LABELS[name] ?? name.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());

/**
 * The key form of an api_key/token integration. The server checks the key at the provider
 * before it stores anything; its refusal is shown here and the dialog stays open.
 */
export function ApiKeyForm(props: {
  integration: IntegrationView;
  onSubmit(input: { credentials: Record<string, string>; accountLabel?: string }): Promise<void>;
  onDone(): void;
}) {
  const names = props.integration.credentialNames ?? ['token'];
  const [values, setValues] = useState<Record<string, string>>({});
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = (name: string) => `key-${props.integration.id}-${name}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const missing = names.filter((n) => !values[n]?.trim());
    if (missing.length) {
      setError(`Enter the ${missing.map(labelOf).join(' and ')}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit({
        credentials: Object.fromEntries(names.map((n) => [n, values[n]!.trim()])),
        ...(label.trim() ? { accountLabel: label.trim() } : {}),
      });
      setValues({});
      props.onDone();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {names.map((name) => (
        <Field key={name} label={labelOf(name)} htmlFor={id(name)}>
          <input
            id={id(name)}
            type="password"
            autoComplete="off"
            spellCheck={false}
            className={inputClass}
            value={values[name] ?? ''}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
          />
        </Field>
      ))}
      <Field
        label="Account label (optional)"
        htmlFor={id('label')}
        hint="Shown on the card, e.g. the account or workspace the key belongs to."
      >
        <input
          id={id('label')}
          className={inputClass}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
      </Field>
      {error ? <ErrorNote>{error}</ErrorNote> : null}
      <div className="flex justify-end gap-2">
        <Dialog.Close asChild>
          <Button>Cancel</Button>
        </Dialog.Close>
        <Button type="submit" tone="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Check and save'}
        </Button>
      </div>
    </form>
  );
}
