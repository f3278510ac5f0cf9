import { z } from 'zod';
import { signSandboxToken } from './sandbox-token.js';
import { SandboxTokenError } from './errors.js';

/**
 * The scope vocabulary of sandbox tokens, in one place: the worker mints tokens with these
 * operations, the broker, the API proxy and the MCP proxy check them.
 */
export const SANDBOX_OPERATIONS = {
  /** AWS credentials in credential_process format. */
  awsCredentials: 'aws:credentials',
  /** A GCP access token for gcloud. */
  gcpCredentials: 'gcp:credentials',
  /** A CLI's credentials, fetched by integration-exec each time the CLI runs. */
  integrationCredentials: 'integration:credentials',
  /** Requests to an api integration through the broker, which adds the key server-side. */
  apiProxy: 'api:proxy',
  /** Listing MCP apps and tools through the sandbox proxy. */
  mcpList: 'mcp:list',
  /** Calling an MCP tool through the sandbox proxy. */
  mcpCall: 'mcp:call',
} as const;

export type CloudProviderName = 'aws' | 'gcp';

/** The operation a token must carry to trade itself for credentials of `provider`. */
export const CLOUD_OPERATIONS = {
  aws: SANDBOX_OPERATIONS.awsCredentials,
  gcp: SANDBOX_OPERATIONS.gcpCredentials,
} as const satisfies Record<CloudProviderName, string>;

/** Operations a sandbox token must carry for the integration routes. */
export const INTEGRATION_OPERATIONS = {
  credentials: SANDBOX_OPERATIONS.integrationCredentials,
  proxy: SANDBOX_OPERATIONS.apiProxy,
} as const;
export type IntegrationOperation =
  (typeof INTEGRATION_OPERATIONS)[keyof typeof INTEGRATION_OPERATIONS];

/** Operations the MCP proxy checks: listing apps and tools, and calling tools. */
export const MCP_OPERATIONS = {
  list: SANDBOX_OPERATIONS.mcpList,
  call: SANDBOX_OPERATIONS.mcpCall,
} as const;

/** A stored credential's label: what a token's `aws:<name>` scope and `--name` refer to. */
export const credentialNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, - and _ (at most 63)');

/** One cloud a command may reach: every stored credential of the provider, or one by name. */
export interface CloudGrant {
  provider: CloudProviderName;
  /** The stored credential's name; omitted means any of the user's credentials of `provider`. */
  name?: string;
}

export interface MintSandboxTokenInput {
  userId: string;
  conversationId: string;
  sandboxId: string;
  /** Clouds the command may get credentials for. */
  clouds?: CloudGrant[];
  /** Integrations (MCP apps) the command may use; passed through as scopes.apps. */
  apps?: string[];
  /** Further operations, e.g. `mcp:call`. */
  operations?: string[];
}

const grant = z.strictObject({
  provider: z.enum(['aws', 'gcp']),
  name: credentialNameSchema.optional(),
});
const mintInput = z.object({
  userId: z.string().min(1),
  conversationId: z.string().min(1),
  sandboxId: z.string().min(1),
  clouds: z.array(grant).max(50).default([]),
  apps: z.array(z.string().min(1).max(256)).max(150).default([]),
  operations: z.array(z.string().min(1).max(256)).max(40).default([]),
});

/**
 * Signs the token for one command: who runs it (user, conversation, sandbox) and what it may
 * reach. A cloud grant becomes the app `aws` or `aws:<name>` plus the operation
 * `aws:credentials`, so every checker reads one scope format.
 * `secret` is JWT_SECRET; the default lifetime is five minutes.
 */
export async function mintSandboxToken(
  input: MintSandboxTokenInput,
  secret: string,
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const parsed = mintInput.safeParse(input);
  if (!parsed.success) {
    throw new SandboxTokenError(
      'dynamiq.sandbox_token.invalid_grant',
      `Cannot mint a sandbox token: ${z.prettifyError(parsed.error)}`,
    );
  }
  const { clouds, apps, operations, ...subject } = parsed.data;
  const cloudApps = clouds.map((c) => (c.name ? `${c.provider}:${c.name}` : c.provider));
  const cloudOps = clouds.map((c) => CLOUD_OPERATIONS[c.provider]);
  return signSandboxToken(
    {
      ...subject,
      scopes: {
        apps: [...new Set([...apps, ...cloudApps])],
        operations: [...new Set([...operations, ...cloudOps])],
      },
    },
    secret,
    options,
  );
}
