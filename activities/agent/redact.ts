/**
 * Secrets people and models should not see again in the record: values of fields named like
 * credentials, and strings shaped like well-known tokens wherever they appear.
 */
const SECRET_KEY =
  /^(?:.*[-_.])?(?:password|passwd|passphrase|secret|token|api[-_]?key|apikey|private[-_]?key|authorization|credentials?|cookie)$/i;

const SECRET_VALUE = new RegExp(
  [
    /gh[pousr]_[A-Za-z0-9]{20,}/.source, // GitHub tokens
    /github_pat_[A-Za-z0-9_]{20,}/.source,
    /xox[abposr]-[A-Za-z0-9-]{10,}/.source, // Slack
    /sk-(?:proj-|live_|test_)?[A-Za-z0-9_-]{16,}/.source, // OpenAI, Stripe secret keys
    /rk_(?:live|test)_[A-Za-z0-9]{16,}/.source, // Stripe restricted keys
    /(?:AKIA|ASIA)[A-Z0-9]{16}/.source, // AWS access key ids
    /ya29\.[A-Za-z0-9_-]{20,}/.source, // Google OAuth access tokens
    /glpat-[A-Za-z0-9_-]{20,}/.source, // GitLab
    /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.source, // JWTs (sandbox tokens too)
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/.source,
  ].join('|'),
  'g',
);

export const REDACTED = '[redacted]';

export function redactText(text: string): string {
  return text.replace(SECRET_VALUE, REDACTED);
}

/** A copy of JSON-like arguments with secret-named fields and token-shaped strings redacted. */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== null && v !== '' ? REDACTED : redactValue(v),
      ]),
    );
  }
  return value;
}
