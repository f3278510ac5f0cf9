import { z } from 'zod';

export const CATEGORIES = [
  'developer-tools',
  'cloud',
  'data-analytics',
  'productivity',
  'communication',
  'monitoring',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The seed's display names for each category. */
export const CATEGORY_LABELS: Readonly<Record<Category, string>> = {
  'developer-tools': 'Developer Tools',
  cloud: 'Cloud',
  'data-analytics': 'Data & Analytics',
  productivity: 'Productivity',
  communication: 'Communication',
  monitoring: 'Monitoring',
};

export const PROVIDER_TYPES = ['cli', 'cloud_cli', 'mcp', 'direct_mcp', 'api'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const AUTH_TYPES = ['oauth2', 'api_key', 'token', 'cloud_role'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const MCP_PROVIDERS = ['pipedream', 'composio', 'direct'] as const;
export type McpProvider = (typeof MCP_PROVIDERS)[number];

/** `{name}` in a URL marks a per-tenant part (Grafana stack, Databricks workspace, OAuth client id). */
export const PLACEHOLDER = /\{([a-z_]+)\}/g;

// Placeholders are not valid hostnames, so they are swapped for a letter before parsing.
const urlTemplate = z.string().refine(
  (value) => {
    if (!value.startsWith('https://')) return false;
    return URL.canParse(value.replace(PLACEHOLDER, 'x'));
  },
  { message: 'must be an https:// URL (placeholders such as {stack} are allowed)' },
);

const oauthFields = z.strictObject({
  authorizeUrl: urlTemplate,
  tokenUrl: urlTemplate,
  revokeUrl: urlTemplate.optional(),
  /** RFC 7591 dynamic client registration, used by remote MCP servers instead of a fixed client. */
  registrationUrl: urlTemplate.optional(),
  scopes: z.array(z.string().min(1)),
  pkce: z.boolean(),
  /**
   * RFC 9207: the issuer identifier the provider sends as `iss` on its authorization responses.
   * A callback naming another issuer is refused (a mix-up attack); one without `iss` only when
   * `issRequired` says the provider always sends it. Leave unset where the provider sends none.
   */
  issuer: z.url({ protocol: /^https$/ }).optional(),
  issRequired: z.boolean().optional(),
  /** How the client authenticates at the token and revocation endpoints; default post. */
  tokenAuth: z.enum(['client_secret_post', 'client_secret_basic']).optional(),
  /**
   * A provider that departs from RFC 6749/7009 where the client must know it. `github`: revokes
   * with DELETE {revokeUrl} and the app's Basic credentials. `slack`: the scopes are user scopes
   * (sent as `user_scope`), the user token comes back under `authed_user`, and `token_type` says
   * bot or user. Both answer token errors with HTTP 200, which every entry tolerates.
   */
  dialect: z.enum(['github', 'slack']).optional(),
});

const oauthSchema = oauthFields.refine((o) => !o.issRequired || o.issuer, {
  path: ['issRequired'],
  message: 'needs an issuer to compare iss with',
});

const keyPlacementSchema = z.strictObject({
  in: z.enum(['header', 'query']),
  name: z.string().min(1),
  /** Text before the secret, e.g. `Bearer ` or PagerDuty's `Token token=`. */
  prefix: z.string().optional(),
  /** Which stored secret goes here; Datadog needs two (`apiKey`, `appKey`). */
  credential: z
    .string()
    .regex(/^[a-z][A-Za-z]*$/, 'must be camelCase')
    .default('token'),
});

const keyCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    method: z.enum(['GET', 'POST']),
    path: z.string().startsWith('/', 'must start with /'),
    body: z.string().optional(),
  }),
  // Cloud credentials are signed per request, so the sandbox CLI is the cheapest check.
  z.strictObject({ kind: z.literal('cli'), command: z.string().min(1) }),
]);

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE name');
const credentialName = z.string().regex(/^[a-z][A-Za-z]*$/, 'must be camelCase');

const cliSchema = z.strictObject({
  command: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a binary name such as gh'),
  env: z.array(envName).min(1),
  /** Run once after the env is injected, for CLIs that do not read credentials from env. */
  setup: z.string().min(1).optional(),
  /**
   * Which stored credential fills which variable when the CLI runs in a sandbox. Default:
   * `token` fills the first of `env`. `{}` means the sandbox helper injects nothing (the
   * credentials reach this CLI another way, e.g. the cloud broker).
   */
  credentialEnv: z.record(credentialName, envName).optional(),
  /** Variables that name a file holding the credential (KUBECONFIG); written per use, 0600. */
  credentialFiles: z.record(credentialName, envName).optional(),
  /** A variable given the resolved apiBaseUrl, e.g. DATABRICKS_HOST. */
  baseUrlEnv: envName.optional(),
});

const mcpSchema = z.strictObject({
  provider: z.enum(MCP_PROVIDERS),
  appSlug: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .optional(),
  serverUrl: urlTemplate.optional(),
});

const baseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case'),
  name: z.string().min(1),
  description: z.string().min(1),
  category: z.enum(CATEGORIES),
  providerType: z.enum(PROVIDER_TYPES),
  authType: z.enum(AUTH_TYPES),
  mcp: mcpSchema.optional(),
  oauth: oauthSchema.optional(),
  cli: cliSchema.optional(),
  /** Where the proxy and key check send requests; override it for GitHub Enterprise and the like. */
  apiBaseUrl: urlTemplate.optional(),
  keyPlacement: z.array(keyPlacementSchema).min(1).optional(),
  keyCheck: keyCheckSchema.optional(),
  /**
   * With this authType the vendor CLI or API takes only a long-lived key (nothing short-lived we
   * could mint), so the key itself reaches the sandbox (cli) or stays in the proxy (api).
   */
  longLivedKeyOnly: z.boolean(),
  agentInstructions: z.string().min(20),
  capabilities: z.array(z.string().regex(/^[a-z0-9_]+$/, 'must be snake_case')).min(1),
  docsUrl: z.url({ protocol: /^https$/ }),
  enabled: z.boolean(),
});

type Base = z.output<typeof baseSchema>;
type Problem = readonly [field: string, message: string];

// Rules that tie fields together; each returns the field to blame so errors point somewhere useful.
function crossFieldProblems(e: Base): Problem[] {
  const problems: Problem[] = [];
  const need = (ok: unknown, field: string, message: string) => {
    if (!ok) problems.push([field, message]);
  };
  need(e.authType !== 'oauth2' || e.oauth, 'oauth', 'is required when authType is oauth2');
  need(e.authType === 'oauth2' || !e.oauth, 'oauth', 'is only allowed when authType is oauth2');
  if (e.providerType === 'mcp') {
    need(e.mcp && e.mcp.provider !== 'direct', 'mcp.provider', 'must be pipedream or composio');
    need(e.mcp?.appSlug, 'mcp.appSlug', 'is required for mcp integrations');
  } else if (e.providerType === 'direct_mcp') {
    need(e.mcp?.provider === 'direct', 'mcp.provider', 'must be direct for direct_mcp');
    need(e.mcp?.serverUrl, 'mcp.serverUrl', 'is required for direct_mcp integrations');
  } else {
    need(!e.mcp, 'mcp', `is only allowed for mcp and direct_mcp, not ${e.providerType}`);
  }
  const isCli = e.providerType === 'cli' || e.providerType === 'cloud_cli';
  need(!isCli || e.cli, 'cli', `is required for ${e.providerType} integrations`);
  need(isCli || !e.cli, 'cli', `is only allowed for cli and cloud_cli, not ${e.providerType}`);
  if (e.providerType === 'api') {
    need(e.apiBaseUrl, 'apiBaseUrl', 'is required for api integrations');
    need(e.keyPlacement, 'keyPlacement', 'is required for api integrations');
  }
  if (e.keyCheck?.kind === 'http') {
    need(e.apiBaseUrl, 'apiBaseUrl', 'is required by an http keyCheck');
    need(e.keyPlacement, 'keyPlacement', 'is required by an http keyCheck');
  }
  need(e.keyCheck?.kind !== 'cli' || isCli, 'keyCheck', 'of kind cli needs a cli integration');
  need(
    e.authType !== 'cloud_role' || e.providerType === 'cloud_cli',
    'authType',
    'cloud_role is only for cloud_cli',
  );
  need(
    !e.longLivedKeyOnly || e.authType === 'api_key' || e.authType === 'token',
    'longLivedKeyOnly',
    `cannot be true with authType ${e.authType}, which is short-lived`,
  );
  return problems;
}

export const integrationSchema = baseSchema.superRefine((entry, ctx) => {
  for (const [field, message] of crossFieldProblems(entry)) {
    ctx.addIssue({ code: 'custom', path: field.split('.'), message });
  }
});

/** What a catalog file writes. */
export type IntegrationInput = z.input<typeof integrationSchema>;
/** A validated entry; the catalog hands these out frozen. */
export type Integration = Readonly<z.output<typeof integrationSchema>>;
export type OAuthEndpoints = NonNullable<Integration['oauth']>;
export type KeyPlacement = NonNullable<Integration['keyPlacement']>[number];
export type KeyCheck = NonNullable<Integration['keyCheck']>;
