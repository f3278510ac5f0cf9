import fs from 'node:fs/promises';

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
