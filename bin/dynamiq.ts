#!/usr/bin/env node
/**
 * dynamiq start [--role api|worker|gateway]   every role in one process, or one role
 * dynamiq migrate                     apply pending database migrations and exit
 * dynamiq rotate-keys                 re-seal every stored secret under the current master key
 * dynamiq health --role api|worker    exit 0 when this host's role is healthy (container checks)
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  ConfigError,
  createLogger,
  healthCommand,
  loadConfig,
  migrateCommand,
  rotateKeysCommand,
  startBanner,
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
  if (command === 'health') {
    const role = values.role?.length === 1 ? values.role[0] : undefined;
    if (role !== 'api' && role !== 'worker') {
      console.error('Use: dynamiq health --role api|worker');
      return 2;
    }
    return healthCommand(config, role);
  }
  if (command !== 'start') {
    console.error(
      `Unknown command "${command}". Use: dynamiq start [--role api|worker|gateway] | migrate | rotate-keys | health --role api|worker`,
    );
    return 2;
  }

  const roles = new Set<Role>();
  // The Discord gateway joins the all-in-one start when Discord is configured.
  const defaults = config.discord.enabled ? ['api', 'worker', 'gateway'] : ['api', 'worker'];
  for (const r of values.role ?? defaults) {
    if (r !== 'api' && r !== 'worker' && r !== 'gateway') {
      console.error(`--role must be api, worker or gateway (got "${r}")`);
      return 2;
    }
    roles.add(r);
  }
  // Temporal's core logs through its own runtime; keep it to warnings and above.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const app = await startDynamiq(config, roles, log);
  const { url, bootstrapLink, apiTokenFile } = app;
  console.log(startBanner({ roles, config, url, bootstrapLink, apiTokenFile }));

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
