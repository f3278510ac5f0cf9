import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
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

/**
 * Starts the worker role alone in its own process (test/helpers/worker-process.ts) with `env`,
 * resolving once it polls; the child is added to `started` for the caller to kill at the end.
 */
export function startWorkerProcess(
  env: Record<string, string | undefined>,
  started: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/worker-process.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on(
      'data',
      (d: Buffer) => d.toString().includes('worker ready') && resolve(child),
    );
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}
