import { DynamiqError } from '../lib/errors/index.js';
import { PLACEHOLDER, type Integration } from './schema.js';

export const ENDPOINT_FIELDS = [
  'apiBaseUrl',
  'authorizeUrl',
  'tokenUrl',
  'revokeUrl',
  'registrationUrl',
  'mcpServerUrl',
] as const;
export type EndpointField = (typeof ENDPOINT_FIELDS)[number];

/** Per-integration URL replacements, e.g. GitHub Enterprise, self-managed GitLab, a test server. */
export type EndpointOverride = Partial<Record<EndpointField, string>>;
/** Keyed by integration id. */
export type EndpointOverrides = Readonly<Record<string, EndpointOverride | undefined>>;

export type ResolvedEndpoints = Partial<Record<EndpointField, string>> & {
  /**
   * Fields whose URL still holds a `{placeholder}` only configuration can fill (a Grafana stack,
   * a Databricks workspace). `{client_id}` is left out: the OAuth broker fills it per request.
   */
  readonly unresolved: readonly EndpointField[];
};

/** Thrown at start-up when an endpoint override names an unknown field or holds a bad URL. */
export class EndpointOverrideError extends DynamiqError {
  constructor(integrationId: string, field: string, problem: string) {
    super(
      'dynamiq.integrations.invalid_endpoint_override',
      `endpoint override for "${integrationId}".${field} ${problem}`,
    );
    this.name = 'EndpointOverrideError';
  }
}

function catalogEndpoints(i: Integration): Partial<Record<EndpointField, string>> {
  return {
    apiBaseUrl: i.apiBaseUrl,
    authorizeUrl: i.oauth?.authorizeUrl,
    tokenUrl: i.oauth?.tokenUrl,
    revokeUrl: i.oauth?.revokeUrl,
    registrationUrl: i.oauth?.registrationUrl,
    mcpServerUrl: i.mcp?.serverUrl,
  };
}

function isEndpointField(key: string): key is EndpointField {
  return (ENDPOINT_FIELDS as readonly string[]).includes(key);
}

// Plain http is accepted so tests and local fakes can stand in for a vendor.
function checkedUrl(integrationId: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new EndpointOverrideError(integrationId, field, 'must be an absolute URL');
  }
  const { protocol } = new URL(value);
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new EndpointOverrideError(integrationId, field, 'must use http or https');
  }
  return field === 'apiBaseUrl' ? value.replace(/\/+$/, '') : value;
}

/**
 * The integration's endpoints with any configured overrides applied. Pure: returns a new object
 * and never touches the catalog. Throws on a malformed override, or one for an endpoint the
 * integration does not have, so configuration typos surface at start-up.
 */
export function resolveEndpoints(
  integration: Integration,
  overrides: EndpointOverrides = {},
): ResolvedEndpoints {
  const resolved = catalogEndpoints(integration);
  const override = overrides[integration.id] ?? {};
  for (const [field, value] of Object.entries(override)) {
    if (value === undefined) continue;
    if (!isEndpointField(field)) {
      throw new EndpointOverrideError(
        integration.id,
        field,
        `is not an endpoint; use one of ${ENDPOINT_FIELDS.join(', ')}`,
      );
    }
    if (resolved[field] === undefined) {
      throw new EndpointOverrideError(
        integration.id,
        field,
        'cannot be set: the integration has none',
      );
    }
    resolved[field] = checkedUrl(integration.id, field, value);
  }

  const result: Partial<Record<EndpointField, string>> = {};
  const unresolved: EndpointField[] = [];
  for (const field of ENDPOINT_FIELDS) {
    const url = resolved[field];
    if (url === undefined) continue;
    result[field] = url;
    const names = [...url.matchAll(PLACEHOLDER)].map((m) => m[1]);
    if (names.some((name) => name !== 'client_id')) unresolved.push(field);
  }
  return { ...result, unresolved };
}

/** Checks a whole overrides map against the catalog: unknown ids and bad URLs both throw. */
export function checkEndpointOverrides(
  overrides: EndpointOverrides,
  integrations: readonly Integration[],
): void {
  const known = new Map(integrations.map((i) => [i.id, i]));
  for (const id of Object.keys(overrides)) {
    const integration = known.get(id);
    if (!integration)
      throw new EndpointOverrideError(id, '*', 'names no integration in the catalog');
    resolveEndpoints(integration, overrides);
  }
}
