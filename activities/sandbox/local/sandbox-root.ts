import { readdirSync } from 'node:fs';
import { ID_PATTERN } from './local-provider.js';

export interface SandboxRoot {
  root: string;
  /** True when the sandboxes stay in the folder an earlier version used inside the data folder. */
  legacy: boolean;
}

/**
 * The folder the local sandboxes live in: `dir`, unless `legacyDir` (the old default inside
 * the data folder) still holds sandboxes. Those are kept where they are rather than moved: a
 * live one has its disk image mounted there and its exec server bound to it, and a restarted
 * worker reconnects to it by that path. Read once at start-up.
 */
export function chooseSandboxRoot(dir: string, legacyDir: string | undefined): SandboxRoot {
  if (!legacyDir || legacyDir === dir) return { root: dir, legacy: false };
  let names: string[];
  try {
    names = readdirSync(legacyDir);
  } catch {
    return { root: dir, legacy: false };
  }
  return names.some((name) => ID_PATTERN.test(name))
    ? { root: legacyDir, legacy: true }
    : { root: dir, legacy: false };
}
