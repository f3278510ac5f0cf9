import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A sandbox's own filesystem: a sparse ext4 image, loop-mounted, holding its home and /work,
 * so a command that fills it gets ENOSPC while the disk under it (the product's data folder,
 * its database) keeps its space. Needs a root worker and loop devices; the image takes only
 * the blocks written.
 */
export const DISK_IMAGE = 'disk.img';
export const DISK_MOUNT = 'fs';

/** Whether `dir` is a mount point of this process's mount namespace. */
function isMounted(dir: string): boolean {
  const table = readFileSync('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[4] === dir);
}

/** Creates the image of `bytes` in `sandboxDir` and mounts it; returns the mount point. */
export async function createDisk(sandboxDir: string, bytes: number): Promise<string> {
  const image = path.join(sandboxDir, DISK_IMAGE);
  const handle = await open(image, 'wx', 0o600);
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
  // No reserved blocks (the sandbox user gets all of it); lazy init keeps the image sparse.
  await run('/usr/sbin/mkfs.ext4', [
    '-q',
    '-F',
    '-m',
    '0',
    '-E',
    'lazy_itable_init=1,lazy_journal_init=1',
    image,
  ]);
  return mountDisk(sandboxDir);
}

/** Mounts an existing image again (after a worker or host restart) if it is not mounted. */
export async function mountDisk(sandboxDir: string): Promise<string> {
  const mountPoint = path.join(sandboxDir, DISK_MOUNT);
  if (isMounted(mountPoint)) return mountPoint;
  await mkdir(mountPoint, { recursive: true, mode: 0o711 });
  await run('/usr/bin/mount', [
    '-o',
    'loop,nosuid,nodev',
    path.join(sandboxDir, DISK_IMAGE),
    mountPoint,
  ]);
  return mountPoint;
}

/** Unmounts the image (lazily if something still holds it), so the folder can be removed. */
export async function unmountDisk(sandboxDir: string): Promise<void> {
  const mountPoint = path.join(sandboxDir, DISK_MOUNT);
  if (!existsSync(mountPoint) || !isMounted(mountPoint)) return;
  await run('/usr/bin/umount', [mountPoint]).catch(() =>
    run('/usr/bin/umount', ['-l', mountPoint]),
  );
}

export function hasDisk(sandboxDir: string): boolean {
  return existsSync(path.join(sandboxDir, DISK_IMAGE));
}
