import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeyring } from './crypto/keyring.js';
import { loadOrCreateSecret } from './local-secrets.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-secrets-'));
  dirs.push(dir);
  return path.join(dir, 'data');
};
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('loadOrCreateSecret', () => {
  it('generates the secret once, owner-only, and processes starting together agree on it', async () => {
    const dataDir = await tempDir();
    const all = await Promise.all([1, 2, 3].map(() => loadOrCreateSecret(dataDir, 'jwt-secret')));
    expect(new Set(all.map((s) => s.value)).size).toBe(1);
    expect(all.filter((s) => s.created)).toHaveLength(1);
    expect(Buffer.from(all[0]!.value, 'base64url')).toHaveLength(32);
    expect((await fs.stat(all[0]!.file)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSecret(dataDir, 'jwt-secret');
    expect(again).toEqual({ value: all[0]!.value, file: all[0]!.file, created: false });
  });

  it('is also where the embedded master key comes from (base64, 32 bytes)', async () => {
    const dataDir = await tempDir();
    const warnings: string[] = [];
    const opts = {
      masterKey: undefined,
      previousKeys: [],
      dataDir,
      warn: (l: string) => void warnings.push(l),
    };
    const first = await loadKeyring(opts);
    const second = await loadKeyring(opts);
    expect(second.current.id).toBe(first.current.id);
    const stored = (await fs.readFile(path.join(dataDir, 'master.key'), 'utf8')).trim();
    expect(Buffer.from(stored, 'base64')).toHaveLength(32);
    expect(warnings[0]).toContain('DYNAMIQ_MASTER_KEY is unset');
  });
});
