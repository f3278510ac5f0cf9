import type { EgressConnection } from './egress/proxy.js';

/** One piece of a running command's output, delivered as it arrives. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface ExecOptions {
  /** Working folder inside the sandbox. Default: `/work`. */
  cwd?: string;
  /** Extra environment variables; the sandbox starts from a minimal env, never the host's. */
  env?: Record<string, string>;
  /** Text or bytes written to the command's standard input, which is then closed. */
  stdin?: string | Uint8Array;
  /** Wall-clock limit in milliseconds; on expiry the whole process tree is killed. */
  timeoutMs?: number;
  /** Aborting kills the whole process tree and rejects with `SandboxAbortedError`. */
  signal?: AbortSignal;
  /** Called with each piece of output as it arrives, before any truncation. */
  onOutput?: (chunk: OutputChunk) => void;
}

export interface ExecResult {
  /** Exit status; 128 + signal number when the command was killed by a signal. */
  exitCode: number;
  /** Standard output, or its head and tail joined by an omission marker when truncated. */
  stdout: string;
  stderr: string;
  /** True when either stream was longer than the head plus tail that is kept. */
  truncated: boolean;
  /** Bytes each stream really produced, truncated or not. */
  totalBytes: { stdout: number; stderr: number };
  durationMs: number;
  /** True when the command was killed because it ran past `timeoutMs`. */
  timedOut: boolean;
  /**
   * Every connection the command opened through its egress proxy (local `proxied` sandboxes),
   * allowed or refused; `dropped` counts those past the per-command bound.
   */
  network?: { connections: EgressConnection[]; dropped: number };
}

export interface FileEntry {
  name: string;
  /** Absolute path inside the sandbox. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  sizeBytes: number;
}

/** A running, isolated machine the agent can run commands in. */
export interface Sandbox {
  readonly id: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file, creating its parent folders. Relative paths are under `/work`. */
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  /** Reads a whole file; throws `SandboxFileTooLargeError` past the provider's read limit. */
  readFile(path: string): Promise<Buffer>;
  /** Lists one folder level. */
  listFiles(path: string): Promise<FileEntry[]>;
  /** Stops everything running in the sandbox and deletes it; its id is dead afterwards. */
  kill(): Promise<void>;
}

export interface CreateSandboxOptions {
  /** Free-form labels stored with the sandbox (e.g. the conversation id). */
  metadata?: Record<string, string>;
}

/** Creates sandboxes and finds existing ones again, e.g. after a worker restart. */
export interface SandboxProvider {
  create(options?: CreateSandboxOptions): Promise<Sandbox>;
  /** Reaches an existing sandbox by id; throws `SandboxNotFoundError` if it is gone. */
  connect(id: string): Promise<Sandbox>;
}
