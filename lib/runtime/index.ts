export { startDynamiq, checkRoles } from './start.js';
export type { RunningDynamiq } from './start.js';
export { createWorker, WORKFLOWS_PATH } from './worker.js';
export { loadOrCreateSecret } from './local-secrets.js';
