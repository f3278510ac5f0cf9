// Small HTTP helpers every server part shares.
export { bearerToken } from './bearer.js';
