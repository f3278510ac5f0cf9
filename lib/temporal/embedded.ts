import fs from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findOrInstallTemporalCli } from './cli.js';

export interface EmbeddedTemporal {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` with its SQLite file in `<dataDir>/temporal.db`, on a
 * free loopback port (so two instances with different data folders run side by side), and
 * waits until it answers. Process management is @temporalio/testing's ephemeral-server
 * launcher, which also downloads the CLI for users with internet when none is installed.
 */
export async function startEmbeddedTemporal(opts: {
  dataDir: string;
  namespace: string;
  cliPath?: string;
  log: (line: string) => void;
  /** The server's own log level; it writes to this process's stderr. Default warn. */
  serverLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Server dynamic-config values (`--dynamic-config-value key=value`), e.g. a history limit. */
  dynamicConfig?: Record<string, string | number | boolean>;
}): Promise<EmbeddedTemporal> {
  await fs.mkdir(opts.dataDir, { recursive: true });
  const cli = await findOrInstallTemporalCli({ explicitPath: opts.cliPath, log: opts.log });
  if (!cli) opts.log('No temporal CLI found and no Go toolchain: downloading the Temporal CLI ...');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      namespace: opts.namespace,
      ip: '127.0.0.1',
      dbFilename: path.join(opts.dataDir, 'temporal.db'),
      ui: false,
      log: { format: 'json', level: opts.serverLogLevel ?? 'warn' },
      // Hands an activity to the worker in the reply to the workflow task that scheduled it,
      // skipping a matching round trip per LLM call (off by default in the server).
      // `--output none`: no start-up banner on this process's stdout, which stays the log's.
      extraArgs: [
        '--dynamic-config-value',
        'system.enableActivityEagerExecution=true',
        '--output',
        'none',
        ...Object.entries(opts.dynamicConfig ?? {}).flatMap(([key, value]) => [
          '--dynamic-config-value',
          `${key}=${JSON.stringify(value)}`,
        ]),
      ],
    },
  });
  return {
    address: env.address,
    namespace: opts.namespace,
    stop: () => env.teardown(),
  };
}
