/** Who a request acts for: the portal user of the session, or the administrator for the API token. */
export interface AuthUser {
  id: string;
  displayName: string;
  role: 'admin' | 'member';
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser;
    /** Set when the request came with a portal session cookie. */
    sessionTokenHash?: string;
  }
}
