import type { ResolvedEndpoints } from './endpoints.js';
import type { Integration } from './schema.js';

/** What a sandbox helper sets before running an integration's CLI. */
export interface CliEnvironment {
  /** Variables with their values. */
  env: Record<string, string>;
  /** Variables that must name a file holding this content (written 0600, deleted after). */
  files: Record<string, string>;
}

/**
 * Whether a sandbox helper can authenticate the integration's CLI from a connection: cloud
 * roles go through the cloud broker instead, and `credentialEnv: {}` opts an entry out.
 */
export function hasCliCredentials(integration: Integration): boolean {
  const cli = integration.cli;
  if (!cli || integration.authType === 'cloud_role') return false;
  const mapped = Object.keys(cli.credentialEnv ?? { token: '' }).length;
  return mapped + Object.keys(cli.credentialFiles ?? {}).length > 0;
}

/**
 * Maps a connection's credentials onto the CLI's variables as the catalog declares them
 * (default: `token` fills the first variable). Credentials the entry does not map are left out,
 * so a second key (Datadog's app key) never reaches a CLI that does not ask for it.
 */
export function cliEnvironment(
  integration: Integration,
  endpoints: ResolvedEndpoints,
  credentials: Readonly<Record<string, string>>,
): CliEnvironment {
  const cli = integration.cli;
  if (!cli || !hasCliCredentials(integration)) return { env: {}, files: {} };
  const env: Record<string, string> = {};
  const files: Record<string, string> = {};
  const mapping = cli.credentialEnv ?? (cli.credentialFiles ? {} : { token: cli.env[0]! });
  for (const [credential, variable] of Object.entries(mapping)) {
    const value = credentials[credential];
    if (value !== undefined) env[variable] = value;
  }
  for (const [credential, variable] of Object.entries(cli.credentialFiles ?? {})) {
    const value = credentials[credential];
    if (value !== undefined) files[variable] = value;
  }
  if (cli.baseUrlEnv && endpoints.apiBaseUrl) env[cli.baseUrlEnv] = endpoints.apiBaseUrl;
  return { env, files };
}
