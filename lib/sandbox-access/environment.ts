/**
 * Where things are inside every sandbox (local bind mounts and the E2B template alike) and the
 * variables each command gets. The worker writes them, the helpers in e2b-template/bin read
 * them; change both together.
 */

/** The credential helpers, mcp-cli and integration-exec. */
export const HELPERS_BIN = '/opt/dynamiq/bin';
export const AWS_CONFIG_PATH = '/home/user/.aws/config';
/** gcloud reads its access token from here on every call (auth/access_token_file). */
export const GCP_TOKEN_PATH = '/home/user/.config/dynamiq/gcp-access-token';
/** Shims named after connected CLIs (gh, stripe, ...), first on PATH, each calling integration-exec. */
export const SHIM_DIR = '/home/user/.dynamiq/shims';

/**
 * Where the api serves each app a sandbox token allows as a standard MCP server (Streamable
 * HTTP, the token as bearer): `${brokerUrl}${SANDBOX_MCP_PATH}/{app}/mcp`.
 */
export const SANDBOX_MCP_PATH = '/api/mcp/sandbox';

/** The variables the sandbox helpers read. */
export const SANDBOX_ENV = {
  brokerUrl: 'DYNAMIQ_BROKER_URL',
  apiProxy: 'DYNAMIQ_API_PROXY',
  /** The standard MCP endpoints' base: an MCP client connects to `$DYNAMIQ_MCP_URL/{app}/mcp`. */
  mcpUrl: 'DYNAMIQ_MCP_URL',
  token: 'DYNAMIQ_SANDBOX_TOKEN',
  shimDir: 'DYNAMIQ_SHIM_DIR',
  gcpTokenFile: 'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE',
} as const;

/**
 * The environment every command of a sandbox gets: where the broker, its API proxy and the
 * standard MCP endpoints are, the command's token, and gcloud's access-token file. Nothing in
 * it is a stored secret; the token expires with the command.
 */
export function brokerSandboxEnv(opts: {
  brokerUrl: string;
  token: string;
}): Record<string, string> {
  const base = opts.brokerUrl.replace(/\/+$/, '');
  return {
    [SANDBOX_ENV.brokerUrl]: opts.brokerUrl,
    [SANDBOX_ENV.apiProxy]: `${base}/api/proxy`,
    [SANDBOX_ENV.mcpUrl]: `${base}${SANDBOX_MCP_PATH}`,
    [SANDBOX_ENV.token]: opts.token,
    [SANDBOX_ENV.shimDir]: SHIM_DIR,
    [SANDBOX_ENV.gcpTokenFile]: GCP_TOKEN_PATH,
  };
}
