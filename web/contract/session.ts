import { z } from 'zod';

/** Who a request acts for. */
export const authUser = z.object({
  id: z.string(),
  displayName: z.string(),
  role: z.enum(['admin', 'member']),
});
export type AuthUserView = z.infer<typeof authUser>;

/** `GET /api/session`: the caller, and the CSRF token a cookie session must send back. */
export const sessionResponse = z.object({ user: authUser, csrfToken: z.string().nullable() });
export type SessionResponse = z.infer<typeof sessionResponse>;

/** A sign-in link's token, as the link carries it. */
export const signInToken = z.string().min(20).max(4096);

/** `GET /auth/link/info?token=`: what the link would sign in as; uses nothing up. */
export const signInLinkInfo = z.object({
  user: z.object({ displayName: z.string(), role: z.enum(['admin', 'member']) }),
  /** The chat identity the bot sent the link to, when it was sent from chat. */
  identity: z.object({ platform: z.string(), displayName: z.string().nullable() }).nullable(),
  expiresAt: z.string(),
});
export type SignInLinkInfo = z.infer<typeof signInLinkInfo>;

/** `POST /auth/link` body: signs in (sets the session cookie) and uses the link up. */
export const signInBody = z.strictObject({ token: signInToken });
export type SignInBody = z.infer<typeof signInBody>;
export const signInResponse = z.object({ user: authUser });
export type SignInResponse = z.infer<typeof signInResponse>;
