export { startDynamiq, checkRoles } from './start.js';
export type { RunningDynamiq } from './start.js';
export { createWorker, WORKFLOWS_PATH } from './worker.js';
export { loadOrCreateApiToken } from './api-token.js';
