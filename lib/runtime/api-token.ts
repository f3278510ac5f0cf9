import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The embedded default's administrator token when DYNAMIQ_API_TOKEN is unset: generated
 * once into the data folder (owner-only permissions) so a local install works at once.
 */
export async function loadOrCreateApiToken(
  dataDir: string,
): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.join(dataDir, 'api-token');
  try {
    return { token: (await fs.readFile(file, 'utf8')).trim(), file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await fs.mkdir(dataDir, { recursive: true });
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, file, created: true };
  } catch {
    return { token: (await fs.readFile(file, 'utf8')).trim(), file, created: false };
  }
}
