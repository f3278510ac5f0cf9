// Builds the portal (web/app → web/app/dist) with Vite. `npm start` runs it with --if-stale:
// it builds only when the build is missing or older than a source file, so a fresh checkout
// (`npm run setup && npm start`) gets a portal and a warm start costs a directory walk.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Vite from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(root, 'web', 'app', 'dist', 'index.html');
// Everything the bundle is made of; node_modules is covered by the lock file.
const SOURCES = [
  'web/app/src',
  'web/app/index.html',
  'web/app/vite.config.ts',
  'web/contract',
  'lib/conversation/chat-event.ts',
  'package-lock.json',
];

function newest(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const name of readdirSync(entry)) max = Math.max(max, newest(path.join(entry, name)));
  return max;
}

/** True when web/app/dist is missing or older than one of its sources. */
export function portalIsStale(): boolean {
  if (!existsSync(outFile)) return true;
  const built = statSync(outFile).mtimeMs;
  return SOURCES.some((s) => newest(path.join(root, s)) > built);
}

export async function buildPortal(): Promise<void> {
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch {
    // A production install (npm prune --omit=dev) has no Vite: the image carries the build.
    if (existsSync(outFile)) return;
    throw new Error('The portal is not built and Vite is not installed: run `npm ci` first.');
  }
  // Under a test runner NODE_ENV is `test`, which would bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await vite.build({
      configFile: path.join(root, 'web', 'app', 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (!ifStale || portalIsStale()) {
    const started = Date.now();
    if (ifStale) console.log('Building the portal (web/app changed since the last build)…');
    await buildPortal();
    console.log(`Portal built into web/app/dist in ${Date.now() - started} ms.`);
  }
}
