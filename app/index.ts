// The composition root: builds config-derived settings, the database, Temporal, the event bus,
// the registries and each role. bin/ calls it; no other part imports it.

export { startDynamiq } from './start.js';
export type { RunningDynamiq } from './start.js';
export { startBanner } from './banner.js';
export type { BannerInput } from './banner.js';
export { checkRoles } from './roles.js';
export { resolveSettings } from './settings.js';
export type { AppSettings } from './settings.js';
export { createWorker, workerIdentity, WORKFLOWS_PATH } from './worker.js';
export { migrateCommand } from './commands/migrate.js';
export { rotateKeysCommand } from './commands/rotate-keys.js';
export { apiHealth, healthCommand, workerHealth } from './commands/health.js';
// What bin/ needs to read the environment and report, so that it imports only app/.
export { ConfigError, loadConfig } from '../lib/config/index.js';
export type { Config, Role } from '../lib/config/index.js';
export { createLogger } from '../lib/logging.js';
