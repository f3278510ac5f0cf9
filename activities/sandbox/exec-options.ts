import path from 'node:path';
import { z } from 'zod';
import { SandboxInputError } from './errors.js';
import type { ExecOptions, OutputChunk } from './types.js';

/** The folder commands start in and relative paths resolve against, in every provider. */
export const WORK_DIR = '/work';
/** The sandbox user's home folder, in every provider. */
export const HOME_DIR = '/home/user';

const noNul = (s: string) => !s.includes('\0');

// Exec options usually carry text an LLM chose, so they are checked like any external input.
const execOptionsSchema = z.object({
  cwd: z.string().min(1).refine(noNul, 'must not contain NUL bytes').optional(),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'),
      z.string().refine(noNul, 'env values must not contain NUL bytes'),
    )
    .optional(),
  stdin: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 60 * 60 * 1000)
    .optional(),
  signal: z.instanceof(AbortSignal).optional(),
  onOutput: z.custom<(chunk: OutputChunk) => void>((v) => typeof v === 'function').optional(),
});

export interface ResolvedExecOptions {
  cwd: string;
  env: Record<string, string>;
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (chunk: OutputChunk) => void;
}

/** Validates exec options and fills defaults; throws `SandboxInputError` saying what is wrong. */
export function resolveExecOptions(
  options: ExecOptions | undefined,
  defaultTimeoutMs: number,
): ResolvedExecOptions {
  const parsed = execOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new SandboxInputError(`Invalid exec options: ${z.prettifyError(parsed.error)}`);
  }
  const o = parsed.data;
  return {
    cwd: resolveSandboxPath(o.cwd ?? WORK_DIR),
    env: o.env ?? {},
    stdin: o.stdin === undefined ? undefined : Buffer.from(o.stdin),
    timeoutMs: o.timeoutMs ?? defaultTimeoutMs,
    signal: o.signal,
    onOutput: o.onOutput,
  };
}

/** Makes a sandbox path absolute (relative paths are under `/work`) and normalises it. */
export function resolveSandboxPath(p: string): string {
  if (typeof p !== 'string' || p.length === 0 || !noNul(p)) {
    throw new SandboxInputError(
      `Invalid sandbox path ${JSON.stringify(p)}: give a non-empty path.`,
    );
  }
  return path.posix.resolve(WORK_DIR, p);
}
