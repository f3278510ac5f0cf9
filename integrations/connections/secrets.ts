import { z } from 'zod';
import { DecryptError, connectionContext, open, seal } from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import { ConnectionError } from './errors.js';

/** The plaintext shape of `Connection.secret`; validated on every open. */
export const storedSecretSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('oauth'),
    accessToken: z.string().min(1),
    refreshToken: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('keys'),
    /** By keyPlacement credential name: `token`, or Datadog's `apiKey` and `appKey`. */
    credentials: z.record(z.string(), z.string().min(1)),
  }),
]);
export type StoredSecret = z.infer<typeof storedSecretSchema>;

/**
 * The plaintext shape of `OAuthClientRegistration.secret`: what a provider issued with a client
 * Dynamiq registered (RFC 7591), each part only if it did.
 */
export const registrationSecretSchema = z.strictObject({
  clientSecret: z.string().min(1).optional(),
  /** RFC 7592: reads, updates or deletes the registration at `registrationClientUri`. */
  registrationAccessToken: z.string().min(1).optional(),
  registrationClientUri: z.string().min(1).optional(),
});
export type RegistrationSecret = z.infer<typeof registrationSecretSchema>;

/** Prisma's Bytes type wants an ArrayBuffer-backed array, not a pooled Buffer slice. */
export const toBytes = (buf: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(buf);

export function sealConnectionSecret(
  keyring: Keyring,
  connectionId: string,
  secret: StoredSecret,
): { secret: Uint8Array<ArrayBuffer>; secretKeyId: string } {
  const plaintext = Buffer.from(JSON.stringify(storedSecretSchema.parse(secret)), 'utf8');
  return {
    secret: toBytes(seal(keyring, plaintext, connectionContext(connectionId))),
    secretKeyId: keyring.current.id,
  };
}

export function openConnectionSecret(
  keyring: Keyring,
  row: { id: string; secret: Uint8Array | null },
): StoredSecret {
  if (!row.secret) {
    throw new ConnectionError(
      'dynamiq.connections.secret_unreadable',
      'The connection holds no credentials; reconnect it.',
    );
  }
  let plaintext: Buffer;
  try {
    plaintext = open(keyring, row.secret, connectionContext(row.id));
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    // DecryptError messages name key ids and how to fix the keyring; they hold no secret.
    throw new ConnectionError(
      'dynamiq.connections.secret_unreadable',
      `The stored credentials cannot be decrypted: ${err.message}.`,
      { cause: err },
    );
  }
  const parsed = storedSecretSchema.safeParse(JSON.parse(plaintext.toString('utf8')));
  if (!parsed.success) {
    throw new ConnectionError(
      'dynamiq.connections.secret_unreadable',
      'The stored credentials have an unknown shape; reconnect the integration.',
    );
  }
  return parsed.data;
}
