import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** How old (or how far in the future) a signed request may be, in seconds. */
export const MAX_SKEW_SECONDS = 300;

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** DISCORD_PUBLIC_KEY (64 hex characters) as a key node:crypto verifies with. */
export function discordPublicKey(hex: string): KeyObject {
  const raw = Buffer.from(hex, 'hex');
  if (raw.length !== 32) throw new Error('a Discord public key is 32 bytes (64 hex characters)');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

export type VerifyResult = { ok: true } | { ok: false; why: string };

/**
 * Checks Discord's Ed25519 signature (X-Signature-Ed25519) over X-Signature-Timestamp followed
 * by the raw body, and refuses a timestamp outside MAX_SKEW_SECONDS so a captured request
 * cannot be replayed later.
 */
export function verifyInteraction(input: {
  publicKey: KeyObject;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  body: Buffer;
  nowMs?: number;
}): VerifyResult {
  const { signature, timestamp } = input;
  if (typeof signature !== 'string' || typeof timestamp !== 'string') {
    return { ok: false, why: 'missing X-Signature-Ed25519 or X-Signature-Timestamp' };
  }
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return { ok: false, why: 'malformed signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'malformed timestamp' };
  const skew = Math.abs((input.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) return { ok: false, why: 'timestamp outside the 5-minute window' };
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), input.body]);
  const valid = verify(null, signed, input.publicKey, Buffer.from(signature, 'hex'));
  return valid ? { ok: true } : { ok: false, why: 'signature does not match' };
}
