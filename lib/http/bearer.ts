/**
 * The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235),
 * or undefined when the header is missing or carries something else.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
