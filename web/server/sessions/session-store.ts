import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../../lib/db/index.js';
import type { AuthUser } from '../auth-user.js';
import type { LoginLinkSubject } from './login-links.js';

/** How long a portal session lasts, in milliseconds. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Opens a session; the returned token goes into the cookie and is never stored. */
export async function openSession(
  db: Db,
  subject: LoginLinkSubject,
): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.portalSession.create({
    data: {
      tokenHash: hashToken(token),
      userId: subject.userId,
      identityId: subject.identityId ?? null,
      csrfToken,
      expiresAt,
    },
  });
  return { token, csrfToken, expiresAt };
}

export async function findSession(
  db: Db,
  token: string,
): Promise<{ user: AuthUser; csrfToken: string; tokenHash: string } | null> {
  const tokenHash = hashToken(token);
  const row = await db.portalSession.findUnique({ where: { tokenHash }, include: { user: true } });
  if (!row || row.expiresAt <= new Date()) return null;
  const { user } = row;
  return {
    user: { id: user.id, displayName: user.displayName, role: user.role },
    csrfToken: row.csrfToken,
    tokenHash,
  };
}

export async function closeSession(db: Db, tokenHash: string): Promise<void> {
  await db.portalSession.deleteMany({ where: { tokenHash } });
}
