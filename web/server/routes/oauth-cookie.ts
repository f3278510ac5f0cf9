// Binds an OAuth flow to the browser that started it. Without this, anyone holding a user's
// authorize link (or an attacker who starts a flow and lures a victim through it) could attach
// the victim's provider account to the wrong Dynamiq user. The callback also requires a signed-in
// browser to be the flow's user (routes/integrations.ts); the cookie covers flows started with
// the API token, which have no session.
import { createHash, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie'; // request.cookies, reply.setCookie
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConnectionError } from '../../../integrations/connections/index.js';

/** The cookie's name on a plain-http (loopback) deployment. */
export const FLOW_COOKIE = 'dynamiq_oauth_state';
/**
 * Its name behind https. A `__Host-` cookie is only accepted by browsers when Secure, for the
 * whole host (Path=/) and without a Domain, so a sibling subdomain cannot plant or overwrite it
 * (cookie tossing) to pair a victim's browser with the attacker's flow.
 */
export const SECURE_FLOW_COOKIE = `__Host-${FLOW_COOKIE}`;
// Over plain http the prefix is unavailable; then only the callback ever receives the cookie.
const CALLBACK_PATH = '/api/integrations/oauth/callback';

const isHttps = (publicUrl: string) => publicUrl.startsWith('https://');

export const flowCookieName = (publicUrl: string) =>
  isHttps(publicUrl) ? SECURE_FLOW_COOKIE : FLOW_COOKIE;

// Lax lets it ride the provider's top-level redirect back.
const attributes = (publicUrl: string) =>
  isHttps(publicUrl)
    ? { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: true }
    : { path: CALLBACK_PATH, httpOnly: true, sameSite: 'lax' as const, secure: false };

export function bindFlowToBrowser(
  reply: FastifyReply,
  publicUrl: string,
  state: string,
  expiresAt: Date,
): void {
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  reply.setCookie(flowCookieName(publicUrl), state, { ...attributes(publicUrl), maxAge });
}

export function clearFlowCookie(reply: FastifyReply, publicUrl: string): void {
  reply.clearCookie(flowCookieName(publicUrl), attributes(publicUrl));
}

const digest = (v: string) => createHash('sha256').update(v).digest();

/** Refuses a callback arriving in a browser that did not start this flow (400, nothing used). */
export function checkFlowBrowser(request: FastifyRequest, publicUrl: string, state: string): void {
  const bound = request.cookies[flowCookieName(publicUrl)];
  if (!bound || !timingSafeEqual(digest(bound), digest(state))) {
    throw new ConnectionError(
      'dynamiq.connections.invalid_state',
      'This authorization was not started in this browser. Start the connection again from the Integrations page here.',
    );
  }
}
