import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { discordPublicKey, verifyInteraction } from './verify.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const key = discordPublicKey(hex);
const now = 1_800_000_000_000;
const body = Buffer.from('{"type":1}');
const signed = (timestamp: string, b = body) =>
  sign(null, Buffer.concat([Buffer.from(timestamp), b]), privateKey).toString('hex');

describe('verifyInteraction', () => {
  const ts = String(now / 1000);
  it('accepts Discord’s signature over timestamp + raw body', () => {
    expect(
      verifyInteraction({ publicKey: key, signature: signed(ts), timestamp: ts, body, nowMs: now }),
    ).toEqual({ ok: true });
  });
  it('refuses another body, another key, a missing header and a malformed signature', () => {
    const other = Buffer.from('{"type":2}');
    expect(
      verifyInteraction({
        publicKey: key,
        signature: signed(ts),
        timestamp: ts,
        body: other,
        nowMs: now,
      }).ok,
    ).toBe(false);
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = sign(null, Buffer.concat([Buffer.from(ts), body]), stranger).toString('hex');
    expect(
      verifyInteraction({ publicKey: key, signature: forged, timestamp: ts, body, nowMs: now }).ok,
    ).toBe(false);
    expect(
      verifyInteraction({ publicKey: key, signature: undefined, timestamp: ts, body, nowMs: now })
        .ok,
    ).toBe(false);
    expect(
      verifyInteraction({ publicKey: key, signature: 'zz', timestamp: ts, body, nowMs: now }).ok,
    ).toBe(false);
  });
  it('refuses a timestamp more than five minutes old or ahead, even when signed', () => {
    for (const offset of [-301, 301]) {
      const t = String(now / 1000 + offset);
      expect(
        verifyInteraction({ publicKey: key, signature: signed(t), timestamp: t, body, nowMs: now }),
      ).toEqual({
        ok: false,
        why: 'timestamp outside the 5-minute window',
      });
    }
  });
  it('refuses a public key that is not 32 bytes', () => {
    expect(() => discordPublicKey('abcd')).toThrow(/32 bytes/);
  });
});
