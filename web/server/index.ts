export { buildServer } from './app.js';
export type { ServerDeps } from './deps.js';
export { ensureAdmin } from './auth.js';
export type { AuthUser } from './auth.js';
export { HttpError } from './errors.js';
