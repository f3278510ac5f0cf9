import { readdir, readFile } from 'node:fs/promises';

/** Host pids whose whole command line is `argv` (arguments joined by spaces). */
export async function pidsRunning(argv: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.replaceAll('\0', ' ').trim() === argv) pids.push(Number(name));
  }
  return pids;
}

/** Waits briefly for such processes to vanish: the kernel reaps a dead pid namespace asynchronously. */
export async function allGone(argv: string): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if ((await pidsRunning(argv)).length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
