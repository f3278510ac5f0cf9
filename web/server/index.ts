export { buildServer } from './app.js';
export type { ServerDeps } from './deps.js';
export { ensureAdmin, SESSION_COOKIE } from './auth.js';
export { createLoginLink, LOGIN_LINK_TTL_SECONDS } from './sessions/index.js';
export type { AuthUser } from './auth.js';
export { HttpError } from './errors.js';
