import type { Integration } from '../../integrations/index.js';
import {
  AWS_CONFIG_PATH,
  HELPERS_BIN,
  SHIM_DIR,
  credentialNameSchema,
} from '../../lib/sandbox-access/index.js';
import type { Sandbox } from './types.js';

// Writing the cloud CLIs' configuration and the integration shims into a sandbox: what the
// worker does before a command so that the helpers can reach the broker.

export interface SandboxCloudSetup {
  /** AWS credentials the sandbox may use; the first is the default profile. */
  aws?: Array<{ name: string; region: string }>;
  /** Whether gcloud should take its token from the broker. */
  gcp?: boolean;
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

/** The shim scripts for CLIs whose credentials come from the broker per run, by file name. */
export function cliShims(integrations: readonly Integration[]): Map<string, string> {
  const shims = new Map<string, string>();
  for (const i of integrations) {
    if (!i.cli) continue;
    shims.set(
      i.cli.command,
      `#!/bin/sh\n# ${i.name}: credentials are fetched from Dynamiq's broker for each run.\nexec ${HELPERS_BIN}/integration-exec ${i.id} -- ${i.cli.command} "$@"\n`,
    );
  }
  return shims;
}

/**
 * Writes the shims into the sandbox and makes them executable. Shims of integrations no longer
 * connected are removed, so their CLIs run unauthenticated rather than asking the broker.
 */
export async function configureSandboxCliShims(
  sandbox: Pick<Sandbox, 'writeFile' | 'exec'>,
  shims: ReadonlyMap<string, string>,
): Promise<void> {
  for (const [name, text] of shims) await sandbox.writeFile(`${SHIM_DIR}/${name}`, text);
  const keep = [...shims.keys()].map((n) => `! -name '${n}'`).join(' ');
  const result = await sandbox.exec(
    `mkdir -p ${SHIM_DIR} && find ${SHIM_DIR} -type f ${keep} -delete && chmod 0755 ${SHIM_DIR}/* 2>/dev/null; true`,
    { timeoutMs: 30_000 },
  );
  if (result.exitCode !== 0) throw new Error(`could not install CLI shims: ${result.stderr}`);
}

/** Puts the shims first on PATH for `command`. */
export function withCliShims(command: string): string {
  return `export PATH="${SHIM_DIR}:$PATH"\n${command}`;
}
