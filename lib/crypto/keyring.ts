import { createHash } from 'node:crypto';
import { loadOrCreateSecret } from '../local-secrets.js';

export interface MasterKey {
  /** Derived from the key itself, so nobody has to name keys to rotate them. */
  id: string;
  key: Buffer;
}

/** The key new secrets are sealed with, and every key old secrets may still be sealed with. */
export interface Keyring {
  current: MasterKey;
  byId: ReadonlyMap<string, Buffer>;
}

export function masterKey(base64: string): MasterKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('a master key must be 32 bytes in base64');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

export function keyringOf(current: string, previous: string[] = []): Keyring {
  const keys = [masterKey(current), ...previous.map(masterKey)];
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k.key])) };
}

/**
 * The configured keyring. Production sets DYNAMIQ_MASTER_KEY; the embedded default generates
 * a key once into `<dataDir>/master.key` (owner-only) and warns, since a key next to the data
 * it protects guards only against a stolen database dump, not a stolen disk.
 */
export async function loadKeyring(opts: {
  masterKey: string | undefined;
  previousKeys: string[];
  dataDir: string;
  warn: (line: string) => void;
}): Promise<Keyring> {
  if (opts.masterKey) return keyringOf(opts.masterKey, opts.previousKeys);
  const { value: stored, file } = await loadOrCreateSecret(opts.dataDir, 'master.key', {
    encoding: 'base64',
  });
  opts.warn(
    `DYNAMIQ_MASTER_KEY is unset: secrets are encrypted with the generated key in ${file}. ` +
      'Set DYNAMIQ_MASTER_KEY (openssl rand -base64 32) in production.',
  );
  return keyringOf(stored, opts.previousKeys);
}
