import fs from 'node:fs/promises';
import type { DataConverter } from '@temporalio/common';
import { ConfigError } from '../lib/config/index.js';
import type { Config, Role } from '../lib/config/index.js';
import { EncryptionCodec, loadKeyring } from '../lib/crypto/index.js';
import type { Keyring } from '../lib/crypto/index.js';
import { importPgliteData, migrate, openDatabase } from '../lib/db/index.js';
import type { Database } from '../lib/db/index.js';
import { MemoryEventBus, PostgresEventBus } from '../lib/events/index.js';
import type { EventBus } from '../lib/events/index.js';
import { loadOrCreateSecret } from '../lib/local-secrets.js';
import type { Logger } from '../lib/logging.js';
import { startEmbeddedTemporal, targetFromConfig } from '../lib/temporal/index.js';
import type { TemporalTarget } from '../lib/temporal/index.js';
import type { Shutdown } from './shutdown.js';

/** What every role shares: the database, the keys, Temporal's address and the event bus. */
export interface Core {
  database: Database;
  keyring: Keyring;
  /** Encrypts every Temporal payload with the keyring (client and worker alike). */
  dataConverter: DataConverter;
  /** JWT_SECRET, or the one generated into the data folder. */
  jwtSecret: string;
  temporal: TemporalTarget;
  bus: EventBus;
}

/** Opens (and migrates) the database, loads the keys, starts Temporal if embedded, opens the bus. */
export async function openCore(
  config: Config,
  roles: ReadonlySet<Role>,
  log: Logger,
  shutdown: Shutdown,
): Promise<Core> {
  await fs.mkdir(config.dataDir, { recursive: true });
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    onIdleError: (err) => log.warn({ err }, 'PostgreSQL closed an idle connection'),
    log: (line) => (/\b(WARNING|ERROR|FATAL|PANIC):/.test(line) ? log.warn(line) : log.debug(line)),
  });
  shutdown.add(() => database.close());
  const { applied } = await migrate(database.sql);
  if (applied.length) log.info({ applied }, 'database migrated');
  if (database.kind === 'embedded') {
    await importPgliteData(config.dataDir, database, (line) => log.info(line));
  }
  const keyring = await loadKeyring({
    masterKey: config.masterKey,
    previousKeys: config.previousMasterKeys,
    dataDir: config.dataDir,
    warn: (line) => log.warn(line),
  });
  const jwtSecret =
    config.jwtSecret ?? (await loadOrCreateSecret(config.dataDir, 'jwt-secret')).value;

  let address = config.temporal.address;
  if (!address) {
    const embedded = await startEmbeddedTemporal({
      dataDir: config.dataDir,
      namespace: config.temporal.namespace,
      cliPath: config.temporal.cliPath,
      log: (line) => log.info(line),
    });
    shutdown.add(() => embedded.stop());
    address = embedded.address;
    log.info({ address }, 'embedded Temporal server started');
  }

  // One process runs the api and the worker together (the gateway may join them): memory.
  const allInOne = roles.has('api') && roles.has('worker');
  const busKind = config.eventBus ?? (allInOne ? 'memory' : 'postgres');
  let bus: EventBus;
  if (busKind === 'postgres') {
    if (!config.databaseUrl) throw new ConfigError(['EVENT_BUS=postgres needs DATABASE_URL']);
    bus = await PostgresEventBus.connect(config.databaseUrl, (err) =>
      log.warn({ err }, 'event bus lost its PostgreSQL connection; reconnecting'),
    );
  } else {
    bus = new MemoryEventBus();
  }
  shutdown.add(() => bus.close());

  return {
    database,
    keyring,
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyring)] },
    jwtSecret,
    temporal: targetFromConfig(config, address),
    bus,
  };
}
