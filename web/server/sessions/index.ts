export { createLoginLink, redeemLoginLink, LOGIN_LINK_TTL_SECONDS } from './login-links.js';
export type { LoginLinkSubject } from './login-links.js';
export { openSession, findSession, closeSession, SESSION_TTL_MS } from './session-store.js';
