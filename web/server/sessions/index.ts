export {
  assertLoginLinkUnused,
  createLoginLink,
  redeemLoginLink,
  verifyLoginLink,
  LOGIN_LINK_TTL_SECONDS,
} from './login-links.js';
export type { LoginLinkSubject, VerifiedLoginLink } from './login-links.js';
export { openSession, findSession, closeSession, SESSION_TTL_MS } from './session-store.js';
