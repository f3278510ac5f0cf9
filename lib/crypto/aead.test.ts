import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecryptError, keyIdOf, open, seal } from './aead.js';
import { keyringOf, loadKeyring } from './keyring.js';

const keyA = Buffer.alloc(32, 1).toString('base64');
const keyB = Buffer.alloc(32, 2).toString('base64');
const secret = Buffer.from('ghp_example-token-value');

describe('secrets sealed with AES-256-GCM', () => {
  it('open to the same bytes and never contain the plaintext', () => {
    const ring = keyringOf(keyA);
    const sealed = seal(ring, secret, 'connection:1');
    expect(sealed.includes(secret)).toBe(false);
    expect(open(ring, sealed, 'connection:1')).toEqual(secret);
    expect(seal(ring, secret, 'connection:1').equals(sealed)).toBe(false); // fresh nonce
  });

  it('refuse a tampered ciphertext, another context, or an unknown key', () => {
    const ring = keyringOf(keyA);
    const sealed = seal(ring, secret, 'connection:1');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(ring, tampered, 'connection:1')).toThrow(DecryptError);
    expect(() => open(ring, sealed, 'connection:2')).toThrow(/authentication/);
    expect(() => open(keyringOf(keyB), sealed, 'connection:1')).toThrow(
      /DYNAMIQ_PREVIOUS_MASTER_KEYS/,
    );
    expect(() => open(ring, Buffer.from('short'))).toThrow(/not a Dynamiq ciphertext/);
  });

  it('refuse an envelope whose authentication tag is cut short', () => {
    const ring = keyringOf(keyA);
    const sealed = seal(ring, Buffer.alloc(0), 'connection:1');
    // An empty secret: the tag is the envelope's end, so dropping bytes shortens only the tag.
    for (const cut of [1, 8, 12]) {
      expect(() => open(ring, sealed.subarray(0, sealed.length - cut), 'connection:1')).toThrow(
        DecryptError,
      );
    }
  });

  it('keep old secrets readable after a rotation, and seal new ones under the new key', () => {
    const before = keyringOf(keyA);
    const old = seal(before, secret);
    const after = keyringOf(keyB, [keyA]);
    expect(open(after, old)).toEqual(secret);
    expect(keyIdOf(old)).toBe(before.current.id);
    expect(keyIdOf(seal(after, secret))).toBe(after.current.id);
    expect(after.current.id).not.toBe(before.current.id);
  });
});

describe('the master key', () => {
  it('is generated once into the data folder, owner-only, with a warning, when unset', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-key-'));
    const warnings: string[] = [];
    const first = await loadKeyring({
      masterKey: undefined,
      previousKeys: [],
      dataDir: dir,
      warn: (l) => warnings.push(l),
    });
    const second = await loadKeyring({
      masterKey: undefined,
      previousKeys: [],
      dataDir: dir,
      warn: () => undefined,
    });
    expect(second.current.id).toBe(first.current.id);
    expect((await fs.stat(path.join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(warnings.join()).toMatch(/DYNAMIQ_MASTER_KEY is unset/);
    expect(warnings.join()).not.toContain(first.current.key.toString('base64'));
    await fs.rm(dir, { recursive: true });
  });
});
