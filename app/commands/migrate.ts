import type { Config } from '../../lib/config/index.js';
import { migrate, openDatabase } from '../../lib/db/index.js';
import type { Logger } from '../../lib/logging.js';

/** `dynamiq migrate`: applies pending migrations and exits (0). */
export async function migrateCommand(config: Config, log: Logger): Promise<number> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { applied } = await migrate(database.sql);
    if (applied.length) log.info({ applied }, 'migrations applied');
    else log.info('database is up to date');
  } finally {
    await database.close();
  }
  return 0;
}
