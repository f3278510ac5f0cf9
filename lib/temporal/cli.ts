import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../paths.js';

const run = promisify(execFile);

/** The newest Temporal CLI whose go.mod `go install` accepts (no replace directives). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools/bin');

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, name)))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * Finds the `temporal` CLI: an explicit path, then PATH, then the project's .tools/bin.
 * When none exists and Go is installed, builds it from the Go module proxy into .tools/bin.
 * Returns undefined when neither works; the caller then lets @temporalio/testing download
 * the CLI, which needs internet.
 */
export async function findOrInstallTemporalCli(opts: {
  explicitPath?: string;
  log: (line: string) => void;
}): Promise<string | undefined> {
  if (opts.explicitPath) {
    if (await isExecutable(opts.explicitPath)) return opts.explicitPath;
    throw new Error(`TEMPORAL_CLI_PATH ${opts.explicitPath} is not an executable file`);
  }
  const found = (await onPath('temporal')) ?? (await existing(path.join(TOOLS_BIN, 'temporal')));
  if (found) return found;

  const go = await onPath('go');
  if (!go) return undefined;
  opts.log(
    `Building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${TOOLS_BIN}; the first build takes a few minutes ...`,
  );
  await fs.mkdir(TOOLS_BIN, { recursive: true });
  await run(go, ['install', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: TOOLS_BIN },
    maxBuffer: 64 * 1024 * 1024,
  });
  const built = path.join(TOOLS_BIN, 'temporal');
  if (!(await isExecutable(built))) throw new Error(`go install finished but ${built} is missing`);
  opts.log('Temporal CLI built.');
  return built;
}

async function existing(file: string): Promise<string | undefined> {
  return (await isExecutable(file)) ? file : undefined;
}
