#!/usr/bin/env node
/**
 * dynamiq start [--role api|worker]   every role in one process, or one role
 * dynamiq migrate                     apply pending database migrations and exit
 * dynamiq rotate-keys                 re-seal every stored secret under the current master key
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  ConfigError,
  createLogger,
  loadConfig,
  migrateCommand,
  rotateKeysCommand,
  startDynamiq,
} from '../app/index.js';
import type { Role } from '../app/index.js';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string', multiple: true } },
  });
  const command = positionals[0] ?? 'start';
  const config = loadConfig();
  const log = createLogger(config.logLevel);

  if (command === 'migrate') return migrateCommand(config, log);
  if (command === 'rotate-keys') return rotateKeysCommand(config);
  if (command !== 'start') {
    console.error(
      `Unknown command "${command}". Use: dynamiq start [--role api|worker] | migrate | rotate-keys`,
    );
    return 2;
  }

  const roles = new Set<Role>();
  for (const r of values.role ?? ['api', 'worker']) {
    if (r !== 'api' && r !== 'worker') {
      console.error(`--role must be api or worker (got "${r}")`);
      return 2;
    }
    roles.add(r);
  }
  // Temporal's core logs through its own runtime; keep it to warnings and above.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const app = await startDynamiq(config, roles, log);
  if (app.url)
    console.log(`Dynamiq is running: API at ${app.url} (roles: ${[...roles].join(', ')})`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await app.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
      process.exit(78);
    }
    console.error(err);
    process.exit(1);
  },
);
