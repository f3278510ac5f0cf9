import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, whether this code runs from source (tsx) or from the
 * compiled dist/ folder, so project files (prisma/migrations, .tools) resolve the same way.
 */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The nearest folder at or above `from` with package.json and prisma/ (`exists` for tests). */
export function findProjectRoot(
  from: string,
  exists: (file: string) => boolean = existsSync,
): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (exists(path.join(dir, 'package.json')) && exists(path.join(dir, 'prisma'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`No project root (package.json with prisma/) above ${from}`);
  }
}
