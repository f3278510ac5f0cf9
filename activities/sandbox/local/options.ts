import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseDestination } from '../egress/policy.js';
import { SandboxConfigError } from '../errors.js';
import { DEFAULT_OUTPUT_LIMITS } from '../output.js';
import type { OutputLimits } from '../output.js';
import type { SandboxCgroupLimits } from './cgroups.js';

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
  /** Folder holding one subfolder per sandbox, e.g. `<dataDir>-sandboxes`. Created if missing. */
  root: string;
  /**
   * `proxied` (default): a private network namespace whose only way out is the worker's
   * egress proxy (see `egress`). `none`: only a private loopback. `shared`: the host's
   * network, loopback services and metadata endpoints included.
   */
  network?: SandboxNetwork;
  /** What `proxied` sandboxes may reach. */
  egress?: EgressOptions;
  limits?: Partial<LocalSandboxLimits>;
  /**
   * Limits of each sandbox as a whole, by cgroup (v1 or v2) when the worker is root and the
   * host allows it; the per-process `limits` stay either way. Default 2 GiB, 512 processes,
   * 1 CPU.
   */
  sandboxLimits?: Partial<SandboxCgroupLimits>;
  /** Use cgroups for `sandboxLimits` where the host allows it. Default true. */
  cgroups?: boolean;
  /**
   * Size of each sandbox's own filesystem (home and /work) in bytes: a sparse ext4 image,
   * loop-mounted, so filling it gives ENOSPC and leaves the disk under it alone. Needs a root
   * worker; 0 (or a worker that is not root) keeps plain folders. Default 0 here (a folder
   * holding a mount cannot simply be deleted); the product's SANDBOX_DISK_MB defaults to 4 GiB.
   */
  diskBytes?: number;
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

export type SandboxNetwork = 'none' | 'proxied' | 'shared';

export interface EgressOptions {
  /**
   * `host:port` destinations reached even on a loopback or private address (an internal
   * registry, a test server). Loopback ones also appear at the same address inside.
   */
  allow?: string[];
  /** Read before each command: more allowed destinations, e.g. the broker once the api listens. */
  allowPerCommand?: () => readonly string[];
  /** `host:port` destinations always refused (the product's Temporal and database). */
  deny?: string[];
  /** When set, only these domains and their subdomains (and `allow`); unset: the internet. */
  domains?: string[];
  /**
   * Host folder with one subfolder per sandbox for its Unix sockets: its exec server's and
   * the egress proxy's (kept short: a socket path has 108 bytes).
   */
  socketDir?: string;
}

export interface ResolvedEgressOptions {
  allow: string[];
  allowPerCommand: (() => readonly string[]) | undefined;
  deny: string[];
  domains: string[] | undefined;
  socketDir: string;
}

export interface ResolvedLocalOptions {
  root: string;
  network: SandboxNetwork;
  egress: ResolvedEgressOptions;
  sandboxLimits: SandboxCgroupLimits;
  cgroups: boolean;
  /** 0: plain folders, no bound. */
  diskBytes: number;
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

const destination = z
  .string()
  .refine((d) => parseDestination(d) !== undefined, 'must be host:port (IPv6 in brackets)');

const optionsSchema = z.object({
  root: absolute,
  network: z.enum(['none', 'proxied', 'shared']).default('proxied'),
  egress: z
    .object({
      allow: z.array(destination).default([]),
      allowPerCommand: z
        .custom<() => readonly string[]>((v) => typeof v === 'function', 'must be a function')
        .optional(),
      deny: z.array(destination).default([]),
      domains: z.array(z.string().min(1)).optional(),
      socketDir: absolute.default(path.join(tmpdir(), 'dynamiq-egress')),
    })
    .default({
      allow: [],
      deny: [],
      socketDir: path.join(tmpdir(), 'dynamiq-egress'),
    }),
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
  sandboxLimits: z
    .object({
      memoryBytes: positiveInt.min(32 * MiB).default(2048 * MiB),
      maxProcesses: positiveInt.min(8).default(512),
      cpus: z.number().positive().max(1024).default(1),
    })
    .default({ memoryBytes: 2048 * MiB, maxProcesses: 512, cpus: 1 }),
  cgroups: z.boolean().default(true),
  diskBytes: z
    .number()
    .int()
    .refine((n) => n === 0 || n >= 16 * MiB, 'must be 0 or at least 16 MiB')
    .default(0),
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
  return {
    ...o,
    root: path.resolve(o.root),
    egress: { ...o.egress, allowPerCommand: o.egress.allowPerCommand, domains: o.egress.domains },
    hostUid: isRoot ? o.hostUid : undefined,
    diskBytes: isRoot ? o.diskBytes : 0,
  };
}
