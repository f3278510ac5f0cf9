import type { Sandbox } from '../activities/sandbox/index.js';
import { credentialNameSchema } from './schemas.js';

/** Where the credential helpers live in every sandbox (local bind and E2B template alike). */
export const HELPERS_BIN = '/opt/dynamiq/bin';
export const AWS_CONFIG_PATH = '/home/user/.aws/config';
/** gcloud reads its access token from here on every call (auth/access_token_file). */
export const GCP_TOKEN_PATH = '/home/user/.config/dynamiq/gcp-access-token';

export interface SandboxCloudSetup {
  /** AWS credentials the sandbox may use; the first is the default profile. */
  aws?: Array<{ name: string; region: string }>;
  /** Whether gcloud should take its token from the broker. */
  gcp?: boolean;
}

/**
 * The environment every command of a sandbox gets: where the broker is, the command's token,
 * and gcloud's access-token file. Nothing in it is a stored secret; the token expires with
 * the command.
 */
export function brokerSandboxEnv(opts: {
  brokerUrl: string;
  token: string;
}): Record<string, string> {
  return {
    DYNAMIQ_BROKER_URL: opts.brokerUrl,
    DYNAMIQ_SANDBOX_TOKEN: opts.token,
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: GCP_TOKEN_PATH,
  };
}

/** The ~/.aws/config text: one profile per credential, each a `credential_process`. */
export function awsConfigFile(profiles: Array<{ name: string; region: string }>): string {
  const sections = profiles.map((p, i) => {
    const name = credentialNameSchema.parse(p.name);
    const region = /^[a-z0-9-]+$/.test(p.region) ? p.region : 'us-east-1';
    const body = [
      // Naming the credential keeps each profile on its own role even when the token allows
      // several; the CLI caches nothing, so each call gets what the broker currently issues.
      `credential_process = ${HELPERS_BIN}/aws-credential-helper --name ${name}`,
      `region = ${region}`,
    ];
    const headers =
      i === 0 ? ['[default]', ...body, '', `[profile ${name}]`] : [`[profile ${name}]`];
    return [...headers, ...body].join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}

/** Writes the AWS CLI config (and leaves gcloud to the token file) into a sandbox. */
export async function configureSandboxClouds(
  sandbox: Pick<Sandbox, 'writeFile'>,
  setup: SandboxCloudSetup,
): Promise<void> {
  if (setup.aws?.length) await sandbox.writeFile(AWS_CONFIG_PATH, awsConfigFile(setup.aws));
}

/**
 * Runs the gcp helper before `command`, so gcloud finds a fresh token in its file. A failure
 * is reported on stderr but does not stop the command: commands that do not use gcloud still
 * run, and gcloud itself then says it is not authenticated.
 */
export function withGcpToken(command: string): string {
  return `${HELPERS_BIN}/gcp-credential-helper --quiet || echo 'dynamiq: no Google token for this command' >&2\n${command}`;
}
