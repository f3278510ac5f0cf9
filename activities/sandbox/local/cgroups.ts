import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Limits shared by every process of one sandbox, all its commands together. */
export interface SandboxCgroupLimits {
  /** Memory of the whole sandbox in bytes (page cache included); past it the kernel OOM-kills inside. */
  memoryBytes: number;
  /** Processes and threads of the whole sandbox at once. */
  maxProcesses: number;
  /** CPU time as a number of cores, e.g. 1 or 0.5. */
  cpus: number;
}

/** How per-sandbox limits are enforced on this host, and why if they are not. */
export type CgroupSupport =
  | { kind: 'v1'; roots: { memory: string; pids: string; cpu: string } }
  | { kind: 'v2'; root: string }
  | { kind: 'none'; reason: string };

const CPU_PERIOD_US = 100_000;

/** This process's own cgroup path for a v1 controller, or the v2 path (`0::`). */
function ownCgroup(controller: string | undefined, table: string): string | undefined {
  for (const line of table.split('\n')) {
    const [, controllers, where] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || where === undefined) continue;
    if (
      controller === undefined ? controllers === '' : controllers.split(',').includes(controller)
    ) {
      return where;
    }
  }
  return undefined;
}

/**
 * Finds where sandbox cgroups can live: under this process's own cgroup (so a container's
 * limit still bounds them), in a `dynamiq` folder. cgroup v2 needs the memory, pids and cpu
 * controllers delegated to that folder; v1 needs writable memory, pids and cpu hierarchies.
 */
export async function detectCgroups(fsRoot = '/sys/fs/cgroup'): Promise<CgroupSupport> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { kind: 'none', reason: 'the worker is not root' };
  }
  let table: string;
  try {
    table = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return { kind: 'none', reason: '/proc/self/cgroup is unreadable' };
  }
  const v1 = ['memory', 'pids', 'cpu'].map((c) => {
    const own = ownCgroup(c, table);
    return own === undefined ? undefined : path.join(fsRoot, c, own, 'dynamiq');
  });
  if (v1.every((p) => p !== undefined) && existsSync(path.join(fsRoot, 'memory'))) {
    try {
      for (const dir of v1) await mkdir(dir!, { recursive: true });
      return { kind: 'v1', roots: { memory: v1[0]!, pids: v1[1]!, cpu: v1[2]! } };
    } catch (err) {
      return { kind: 'none', reason: `cgroup v1 is not writable (${(err as Error).message})` };
    }
  }
  const own = ownCgroup(undefined, table);
  if (own !== undefined && existsSync(path.join(fsRoot, 'cgroup.controllers'))) {
    const root = path.join(fsRoot, own, 'dynamiq');
    try {
      await mkdir(root, { recursive: true });
      // Children of `root` get the controllers only if `root` and its parent pass them on.
      await writeFile(path.join(fsRoot, own, 'cgroup.subtree_control'), '+memory +pids +cpu');
      await writeFile(path.join(root, 'cgroup.subtree_control'), '+memory +pids +cpu');
      return { kind: 'v2', root };
    } catch (err) {
      return {
        kind: 'none',
        reason: `cgroup v2 controllers are not delegated to ${root} (${(err as Error).message})`,
      };
    }
  }
  return { kind: 'none', reason: 'no cgroup v1 memory/pids/cpu hierarchies or v2 mount found' };
}

/** One line for the start-up log: which limits are in force. */
export function describeCgroups(support: CgroupSupport, limits: SandboxCgroupLimits): string {
  const what = `${Math.round(limits.memoryBytes / 2 ** 20)} MiB memory, ${limits.maxProcesses} processes, ${limits.cpus} CPU`;
  if (support.kind === 'none') {
    return `per-sandbox limits off (${support.reason}); per-process rlimits only`;
  }
  return `per-sandbox limits by cgroup ${support.kind}: ${what}; per-process rlimits as well`;
}

/**
 * Creates (or finds again, after a restart) the cgroups of sandbox `id` with its limits, and
 * returns the `cgroup.procs` files a process writes its pid to, to enter them.
 */
export async function enterableCgroups(
  support: CgroupSupport,
  id: string,
  limits: SandboxCgroupLimits,
): Promise<string[]> {
  const set = async (dir: string, values: Array<[string, string]>) => {
    await mkdir(dir, { recursive: true });
    for (const [file, value] of values) {
      if (existsSync(path.join(dir, file))) await writeFile(path.join(dir, file), value);
    }
    return path.join(dir, 'cgroup.procs');
  };
  const quota = String(Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)));
  if (support.kind === 'v1') {
    const memory = String(limits.memoryBytes);
    return [
      await set(path.join(support.roots.memory, id), [
        ['memory.limit_in_bytes', memory],
        // With swap accounting, memory + swap too, so the sandbox cannot swap its way past.
        ['memory.memsw.limit_in_bytes', memory],
      ]),
      await set(path.join(support.roots.pids, id), [['pids.max', String(limits.maxProcesses)]]),
      await set(path.join(support.roots.cpu, id), [
        ['cpu.cfs_period_us', String(CPU_PERIOD_US)],
        ['cpu.cfs_quota_us', quota],
      ]),
    ];
  }
  if (support.kind === 'v2') {
    return [
      await set(path.join(support.root, id), [
        ['memory.max', String(limits.memoryBytes)],
        ['memory.swap.max', '0'],
        ['pids.max', String(limits.maxProcesses)],
        ['cpu.max', `${quota} ${CPU_PERIOD_US}`],
      ]),
    ];
  }
  return [];
}

/** Removes the sandbox's cgroups once nothing runs in them; one still busy after 2 s is left. */
export async function removeCgroups(support: CgroupSupport, id: string): Promise<void> {
  const dirs =
    support.kind === 'v1'
      ? Object.values(support.roots).map((r) => path.join(r, id))
      : support.kind === 'v2'
        ? [path.join(support.root, id)]
        : [];
  // The kernel empties a dead pid namespace's cgroup asynchronously: wait for it a little.
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 200 && existsSync(dir); attempt++) {
      const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      if (procs.trim() === '') await rmdir(dir).catch(() => {});
      if (existsSync(dir)) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
