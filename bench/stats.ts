import fs from 'node:fs/promises';
import path from 'node:path';

export function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export const formatMs = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export async function peakRssMiB(pid: number): Promise<string> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return (kb / 1024).toFixed(0);
}

/**
 * Memory of the embedded PostgreSQL under `dataDir` (its server and every backend it forked), as
 * proportional set size in MiB: shared buffers count once across its processes, not per backend.
 * `null` when no embedded server runs there (DATABASE_URL was set).
 */
export async function embeddedDatabasePssMiB(dataDir: string): Promise<string | null> {
  const pgdata = path.join(dataDir, 'postgres', 'data');
  const parents = new Map<number, number>();
  let server: number | undefined;
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The parent pid is the 2nd field after the parenthesised command name.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(pid, ppid);
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(pgdata)) server = pid;
  }
  if (server === undefined) return null;
  let kb = 0;
  for (const [pid, ppid] of parents) {
    if (pid !== server && ppid !== server) continue;
    const rollup = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    kb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  }
  return (kb / 1024).toFixed(0);
}
