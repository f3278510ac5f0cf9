import path from 'node:path';
import { z } from 'zod';
import { SandboxConfigError } from '../errors.js';
import { DEFAULT_OUTPUT_LIMITS } from '../output.js';
import type { OutputLimits } from '../output.js';

/** Resource limits applied to every command, per process (setrlimit) unless said otherwise. */
export interface LocalSandboxLimits {
  /** Processes and threads a command may have at once (RLIMIT_NPROC). Default 256. */
  maxProcesses: number;
  /**
   * Writable private memory per process in bytes (RLIMIT_DATA). Not the address space
   * (RLIMIT_AS): runtimes such as Node's WebAssembly reserve gigabytes they never touch, and
   * an address-space cap would break `fetch` in node. Default 4 GiB.
   */
  memoryBytes: number;
  /** CPU seconds per process (RLIMIT_CPU). Default 600. */
  cpuSeconds: number;
  /** Largest file a process may write, in bytes (RLIMIT_FSIZE). Default 1 GiB. */
  fileSizeBytes: number;
  /** Open files per process (RLIMIT_NOFILE). Default 1024. */
  openFiles: number;
  /** Size of the private /tmp in bytes; it lives in host memory. Default 256 MiB. */
  tmpBytes: number;
}

/** A host folder shown read-only inside every sandbox, e.g. credential helpers. */
export interface ReadOnlyBind {
  /** Absolute host path. */
  source: string;
  /** Absolute path inside the sandbox, e.g. `/opt/dynamiq/bin`. */
  target: string;
  /** Put `target` first on PATH. Default false. */
  onPath?: boolean;
}

export interface LocalSandboxProviderOptions {
  /** Folder holding one subfolder per sandbox, e.g. `<dataDir>/sandboxes`. Created if missing. */
  root: string;
  /** `none` (default): only a private loopback. `shared`: the host's network. */
  network?: 'none' | 'shared';
  limits?: Partial<LocalSandboxLimits>;
  readOnlyBinds?: ReadOnlyBind[];
  /** Output kept per stream. Default 32 KiB head and 32 KiB tail. */
  output?: Partial<OutputLimits>;
  /** Command time limit when `exec` gets none, in milliseconds. Default 5 minutes. */
  defaultTimeoutMs?: number;
  /** Largest file `readFile` returns, in bytes. Default 16 MiB. */
  maxReadFileBytes?: number;
  /**
   * Host uid (and gid) the sandboxes run as when the worker runs as root; root inside a
   * user namespace would be exempt from the process limit. Default 1900000000, a number no
   * distribution hands out. Ignored when the worker is not root (sandboxes then run as it).
   */
  hostUid?: number;
  /** Path of the bubblewrap binary. Default `/usr/bin/bwrap`. */
  bwrapPath?: string;
}

export interface ResolvedLocalOptions {
  root: string;
  network: 'none' | 'shared';
  limits: LocalSandboxLimits;
  readOnlyBinds: Required<ReadOnlyBind>[];
  output: OutputLimits;
  defaultTimeoutMs: number;
  maxReadFileBytes: number;
  /** Undefined when the worker is not root and sandboxes run as the worker's own uid. */
  hostUid: number | undefined;
  bwrapPath: string;
}

const MiB = 1024 * 1024;
const absolute = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');
const positiveInt = z.number().int().positive();

const optionsSchema = z.object({
  root: absolute,
  network: z.enum(['none', 'shared']).default('none'),
  limits: z
    .object({
      maxProcesses: positiveInt.default(256),
      memoryBytes: positiveInt.min(64 * MiB).default(4096 * MiB),
      cpuSeconds: positiveInt.default(600),
      fileSizeBytes: positiveInt.default(1024 * MiB),
      openFiles: positiveInt.min(16).default(1024),
      tmpBytes: positiveInt.min(MiB).default(256 * MiB),
    })
    .default({
      maxProcesses: 256,
      memoryBytes: 4096 * MiB,
      cpuSeconds: 600,
      fileSizeBytes: 1024 * MiB,
      openFiles: 1024,
      tmpBytes: 256 * MiB,
    }),
  readOnlyBinds: z
    .array(z.object({ source: absolute, target: absolute, onPath: z.boolean().default(false) }))
    .default([]),
  output: z
    .object({
      headBytes: z.number().int().min(0).default(DEFAULT_OUTPUT_LIMITS.headBytes),
      tailBytes: z.number().int().min(0).default(DEFAULT_OUTPUT_LIMITS.tailBytes),
    })
    .default(DEFAULT_OUTPUT_LIMITS),
  defaultTimeoutMs: positiveInt.default(5 * 60 * 1000),
  maxReadFileBytes: positiveInt.default(16 * MiB),
  hostUid: z.number().int().min(1).max(0x7fffffff).default(1_900_000_000),
  bwrapPath: absolute.default('/usr/bin/bwrap'),
});

// Targets the sandbox layout itself owns; binding over them would hide the work folder etc.
const RESERVED_TARGETS = [
  '/',
  '/usr',
  '/etc',
  '/proc',
  '/dev',
  '/tmp',
  '/work',
  '/home',
  '/home/user',
];

/** Validates options and fills defaults; throws `SandboxConfigError` naming the bad field. */
export function resolveLocalOptions(options: LocalSandboxProviderOptions): ResolvedLocalOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new SandboxConfigError(`Invalid local sandbox options: ${z.prettifyError(parsed.error)}`);
  }
  const o = parsed.data;
  for (const bind of o.readOnlyBinds) {
    const target = path.posix.normalize(bind.target);
    if (RESERVED_TARGETS.includes(target) || target.startsWith('/usr/')) {
      throw new SandboxConfigError(
        `readOnlyBinds target ${bind.target} would hide part of the sandbox; use a path under /opt.`,
      );
    }
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return { ...o, root: path.resolve(o.root), hostUid: isRoot ? o.hostUid : undefined };
}
