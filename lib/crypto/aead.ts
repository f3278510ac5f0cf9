import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DynamiqError } from '../errors/index.js';
import type { Keyring } from './keyring.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a ciphertext cannot be opened: unknown key, tampering, or a wrong context. */
export class DecryptError extends DynamiqError {
  override readonly name = 'DecryptError';
  declare readonly code:
    'dynamiq.crypto.unknown_key' | 'dynamiq.crypto.malformed' | 'dynamiq.crypto.auth_failed';
  constructor(code: DecryptError['code'], message: string) {
    super(code, message, { status: 500 });
  }
}

/**
 * AES-256-GCM with a fresh 96-bit nonce per message. The envelope names the key it was
 * sealed with (so the master key can rotate) and is self-describing:
 *   version(1) | keyIdLength(1) | keyId | iv(12) | tag(16) | ciphertext
 * `context` is bound as additional authenticated data: a secret copied into another row or
 * field does not decrypt there.
 */
export function seal(keyring: Keyring, plaintext: Uint8Array, context = ''): Buffer {
  const { id, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const keyId = Buffer.from(id, 'utf8');
  return Buffer.concat([
    Buffer.from([VERSION, keyId.length]),
    keyId,
    iv,
    cipher.getAuthTag(),
    ciphertext,
  ]);
}

export function open(keyring: Keyring, envelope: Uint8Array, context = ''): Buffer {
  const buf = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  if (buf.length < 2 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) {
    throw new DecryptError(
      'dynamiq.crypto.malformed',
      'not a Dynamiq ciphertext (unknown version or too short)',
    );
  }
  const idLength = buf[1]!;
  if (buf.length < 2 + idLength + IV_BYTES + TAG_BYTES) {
    throw new DecryptError('dynamiq.crypto.malformed', 'not a Dynamiq ciphertext (too short)');
  }
  const keyId = buf.subarray(2, 2 + idLength).toString('utf8');
  const key = keyring.byId.get(keyId);
  if (!key) {
    throw new DecryptError(
      'dynamiq.crypto.unknown_key',
      `sealed with master key ${keyId}, which is not configured; add it to DYNAMIQ_PREVIOUS_MASTER_KEYS`,
    );
  }
  let at = 2 + idLength;
  const iv = buf.subarray(at, (at += IV_BYTES));
  const tag = buf.subarray(at, (at += TAG_BYTES));
  // A pinned tag length: GCM would otherwise accept a tag cut down to 4 bytes, which a forger
  // can guess.
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  try {
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(at)), decipher.final()]);
  } catch {
    throw new DecryptError(
      'dynamiq.crypto.auth_failed',
      'ciphertext failed authentication (tampered or wrong context)',
    );
  }
}

/** The key id an envelope was sealed with, without opening it (for rotation). */
export function keyIdOf(envelope: Uint8Array): string {
  const buf = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return buf.subarray(2, 2 + (buf[1] ?? 0)).toString('utf8');
}
