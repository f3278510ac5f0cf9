import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A secret of the embedded default (the administrator API token, the JWT signing secret, the
 * master key) when its variable is unset: 32 random bytes generated once into the data folder
 * with owner-only permissions, so a local install works at once and keeps working across
 * restarts. Processes starting together agree on one value.
 */
export async function loadOrCreateSecret(
  dataDir: string,
  fileName: string,
  opts: { encoding?: 'base64url' | 'base64' } = {},
): Promise<{ value: string; file: string; created: boolean }> {
  const file = path.join(dataDir, fileName);
  try {
    return { value: (await fs.readFile(file, 'utf8')).trim(), file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(32).toString(opts.encoding ?? 'base64url');
  await fs.mkdir(dataDir, { recursive: true });
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    await fs.writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { value: (await fs.readFile(file, 'utf8')).trim(), file, created: false };
  }
}
