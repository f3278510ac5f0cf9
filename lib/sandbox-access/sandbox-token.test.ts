import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_TOLERANCE_SECONDS,
  SANDBOX_TOKEN_AUDIENCE,
  SANDBOX_TOKEN_ISSUER,
  SandboxTokenError,
  signSandboxToken,
  verifySandboxToken,
} from './index.js';
import type { SandboxTokenSubject } from './index.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const subject: SandboxTokenSubject = {
  userId: 'user-1',
  conversationId: 'conv-1',
  sandboxId: 'sbx-1',
  scopes: { apps: ['linear', 'sentry'], operations: ['mcp:list', 'mcp:call'] },
};

/** The refusal's reason: the code's last part (`expired` of `dynamiq.sandbox_token.expired`). */
async function refusedWith(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxTokenError);
  return (err as SandboxTokenError).reason;
}

const otherClaims = (overrides: { aud?: string; iss?: string; key?: string } = {}) =>
  new SignJWT({ conversation_id: 'c', sandbox_id: 's', scopes: { apps: [], operations: [] } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u')
    .setJti('j')
    .setIssuedAt()
    .setExpirationTime('5m')
    .setAudience(overrides.aud ?? SANDBOX_TOKEN_AUDIENCE)
    .setIssuer(overrides.iss ?? SANDBOX_TOKEN_ISSUER)
    .sign(new TextEncoder().encode(overrides.key ?? secret));

describe('sandbox tokens', () => {
  it('round-trips the claims, with a five-minute default lifetime and a unique jti', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const token = await signSandboxToken(subject, secret, { now });
    const claims = await verifySandboxToken(token, secret, { now });
    expect(claims).toMatchObject(subject);
    expect(claims.issuedAt).toEqual(now);
    expect(claims.expiresAt.getTime() - now.getTime()).toBe(300_000);
    const again = await verifySandboxToken(
      await signSandboxToken(subject, secret, { now }),
      secret,
      { now },
    );
    expect(again.jti).not.toBe(claims.jti);
  });

  it('is refused as expired after its lifetime plus the clock tolerance, not before', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const token = await signSandboxToken(subject, secret, { now, ttlSeconds: 60 });
    const at = (seconds: number) => ({ now: new Date(now.getTime() + seconds * 1000) });
    await expect(
      verifySandboxToken(token, secret, at(60 + CLOCK_TOLERANCE_SECONDS - 1)),
    ).resolves.toBeTruthy();
    expect(
      await refusedWith(verifySandboxToken(token, secret, at(60 + CLOCK_TOLERANCE_SECONDS + 1))),
    ).toBe('expired');
  });

  it('refuses a token signed with another secret, or with its payload changed', async () => {
    const token = await signSandboxToken(subject, secret);
    expect(await refusedWith(verifySandboxToken(token, `${secret}-rotated`))).toBe(
      'invalid_signature',
    );
    const [header, body, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    claims.scopes = { apps: ['aws'], operations: ['mcp:call'] };
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await refusedWith(verifySandboxToken(tampered, secret))).toBe('invalid_signature');
  });

  it('refuses an unsigned (alg none) token as not signed by Dynamiq', async () => {
    const unsigned = new UnsecuredJWT({ scopes: subject.scopes })
      .setSubject('u')
      .setAudience(SANDBOX_TOKEN_AUDIENCE)
      .setIssuer(SANDBOX_TOKEN_ISSUER)
      .setExpirationTime('5m')
      .encode();
    expect(await refusedWith(verifySandboxToken(unsigned, secret))).toBe('invalid_signature');
  });

  it('tells a wrong audience and a wrong issuer apart', async () => {
    expect(
      await refusedWith(verifySandboxToken(await otherClaims({ aud: 'portal' }), secret)),
    ).toBe('wrong_audience');
    expect(
      await refusedWith(verifySandboxToken(await otherClaims({ iss: 'someone' }), secret)),
    ).toBe('wrong_issuer');
    await expect(verifySandboxToken(await otherClaims(), secret)).resolves.toMatchObject({
      userId: 'u',
    });
  });

  it('refuses garbage and tokens without sandbox claims as malformed', async () => {
    expect(await refusedWith(verifySandboxToken('not-a-jwt', secret))).toBe('malformed');
    expect(await refusedWith(verifySandboxToken('a.b.c', secret))).toBe('malformed');
    const noScopes = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setJti('j')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setAudience(SANDBOX_TOKEN_AUDIENCE)
      .setIssuer(SANDBOX_TOKEN_ISSUER)
      .sign(new TextEncoder().encode(secret));
    expect(await refusedWith(verifySandboxToken(noScopes, secret))).toBe('malformed');
  });

  it('will not sign with a short secret, bad claims or an absurd lifetime', async () => {
    await expect(signSandboxToken(subject, 'short')).rejects.toThrow(/at least 32 bytes/);
    await expect(signSandboxToken({ ...subject, userId: '' }, secret)).rejects.toThrow(/userId/);
    await expect(signSandboxToken(subject, secret, { ttlSeconds: 0 })).rejects.toThrow(
      /ttlSeconds/,
    );
  });
});
