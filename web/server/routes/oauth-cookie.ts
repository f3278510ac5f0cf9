// Binds an OAuth flow to the browser that started it. Without this, anyone holding a user's
// authorize link (or an attacker who starts a flow and lures a victim through it) could attach
// the victim's provider account to the wrong Dynamiq user. Portal sessions will make the check
// "the session's user is the state's user"; until then a cookie holding the state does it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie'; // request.cookies, reply.setCookie
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConnectionError } from '../../../integrations/connections/index.js';

export const FLOW_COOKIE = 'dynamiq_oauth_state';
// Only the callback ever receives it; Lax lets it ride the provider's top-level redirect.
const COOKIE_PATH = '/api/integrations/oauth/callback';

const attributes = (publicUrl: string) => ({
  path: COOKIE_PATH,
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: publicUrl.startsWith('https://'),
});

export function bindFlowToBrowser(
  reply: FastifyReply,
  publicUrl: string,
  state: string,
  expiresAt: Date,
): void {
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  reply.setCookie(FLOW_COOKIE, state, { ...attributes(publicUrl), maxAge });
}

export function clearFlowCookie(reply: FastifyReply, publicUrl: string): void {
  reply.clearCookie(FLOW_COOKIE, attributes(publicUrl));
}

const digest = (v: string) => createHash('sha256').update(v).digest();

/** Refuses a callback arriving in a browser that did not start this flow (400, nothing used). */
export function checkFlowBrowser(request: FastifyRequest, state: string): void {
  const bound = request.cookies[FLOW_COOKIE];
  if (!bound || !timingSafeEqual(digest(bound), digest(state))) {
    throw new ConnectionError(
      'dynamiq.connections.invalid_state',
      'This authorization was not started in this browser. Start the connection again from the Integrations page here.',
    );
  }
}
