export { buildServer } from './app.js';
export type { ServerDeps } from './deps.js';
export { ensureAdmin, SESSION_COOKIE } from './auth.js';
export { createLoginLink } from './sessions/index.js';
export type { AuthUser } from './auth.js';
export { HttpError } from './errors.js';
