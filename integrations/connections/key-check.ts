import type { ResolvedEndpoints } from '../endpoints.js';
import type { Integration } from '../schema.js';
import { ConnectionError } from './errors.js';
import { PROVIDER_TIMEOUT_MS } from './oauth-client.js';

/** The credential names an integration's keys are stored under (`token` unless it says). */
export function credentialNames(integration: Integration): string[] {
  const names = (integration.keyPlacement ?? []).map((p) => p.credential);
  return names.length ? [...new Set(names)] : ['token'];
}

/**
 * Puts the credentials where the provider expects them. Query placement is used by a few APIs
 * only; such URLs must never be logged.
 */
export function placeCredentials(
  integration: Integration,
  url: URL,
  credentials: Readonly<Record<string, string>>,
): Headers {
  const headers = new Headers();
  for (const p of integration.keyPlacement ?? []) {
    const value = credentials[p.credential];
    if (value === undefined) continue;
    const placed = `${p.prefix ?? ''}${value}`;
    if (p.in === 'header') headers.set(p.name, placed);
    else url.searchParams.set(p.name, placed);
  }
  return headers;
}

// Where common "who am I" answers keep a name people recognise; first hit wins.
const LABEL_PATHS = [
  ['login'],
  ['username'],
  ['email'],
  ['user', 'email'],
  ['user', 'login'],
  ['data', 'user', 'email'],
  ['data', 'actor', 'user', 'email'],
  ['name'],
];

/** A short account label from a JSON body, if one is obviously there. */
export function accountLabelFrom(body: unknown): string | undefined {
  for (const path of LABEL_PATHS) {
    let at: unknown = body;
    for (const key of path) {
      at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
    }
    if (typeof at === 'string' && at.trim() && at.length <= 200) return at.trim();
  }
  return undefined;
}

/**
 * Calls the entry's http keyCheck with the credentials. Resolves with what the provider said
 * about the account; throws `key_rejected` on 401/403 and `provider_error` when the answer
 * says nothing either way. Entries without an http check (CLI checks run in the sandbox)
 * resolve with `checked: false`.
 */
export async function checkKey(
  integration: Integration,
  endpoints: ResolvedEndpoints,
  credentials: Readonly<Record<string, string>>,
): Promise<{ checked: boolean; accountLabel: string | undefined }> {
  const check = integration.keyCheck;
  if (check?.kind !== 'http') return { checked: false, accountLabel: undefined };
  if (!endpoints.apiBaseUrl || endpoints.unresolved.includes('apiBaseUrl')) {
    throw new ConnectionError(
      'dynamiq.connections.endpoint_unresolved',
      `${integration.name}'s API URL (${endpoints.apiBaseUrl ?? 'none'}) must be configured by an administrator before keys can be checked.`,
    );
  }
  const url = new URL(`${endpoints.apiBaseUrl.replace(/\/+$/, '')}${check.path}`);
  const headers = placeCredentials(integration, url, credentials);
  headers.set('accept', 'application/json');
  if (check.body !== undefined) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(url, {
      method: check.method,
      headers,
      body: check.body,
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ConnectionError(
      'dynamiq.connections.provider_error',
      `${integration.name} could not be reached to check the key (${(err as Error).name}); try again.`,
    );
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new ConnectionError(
      'dynamiq.connections.key_rejected',
      `The provider rejected this key (${integration.name} answered HTTP ${res.status}).`,
    );
  }
  if (!res.ok) {
    throw new ConnectionError(
      'dynamiq.connections.provider_error',
      `${integration.name} answered HTTP ${res.status} to the key check; try again later.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { checked: true, accountLabel: accountLabelFrom(body) };
}
