import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  AuthenticationError,
  CommandExitError,
  FileNotFoundError,
  InvalidArgumentError,
  NotFoundError,
  SandboxNotFoundError as E2BSandboxNotFoundError,
} from 'e2b';
import type { CommandHandle, Sandbox as E2BSdkSandbox } from 'e2b';
import {
  SandboxAbortedError,
  SandboxAuthError,
  SandboxError,
  SandboxFileNotFoundError,
  SandboxFileTooLargeError,
  SandboxInputError,
  SandboxNotFoundError,
  SandboxUnavailableError,
} from '../errors.js';
import { resolveExecOptions, resolveSandboxPath } from '../exec-options.js';
import { BoundedOutput } from '../output.js';
import type { ExecOptions, ExecResult, FileEntry, Sandbox } from '../types.js';
import type { ResolvedE2BOptions } from './options.js';

/** Marks every process a command starts, so the whole tree can be found and killed. */
const TREE_MARKER = 'DYNAMIQ_EXEC_ID';

// Kills every process whose environment carries the marker: the command, its children, and
// any that detached with setsid. envd's kill targets the command's pid; this does not rely
// on it reaching the rest of the tree.
const KILL_TREE =
  `for _ in 1 2; do grep -lzx "${TREE_MARKER}=$KILL_ID" /proc/[0-9]*/environ 2>/dev/null ` +
  `| cut -d/ -f3 | xargs -r kill -KILL 2>/dev/null; done; true`;

/** A sandbox in E2B's cloud, reached through the `e2b` SDK. */
export class E2BSandbox implements Sandbox {
  constructor(
    private readonly sdk: E2BSdkSandbox,
    private readonly opts: ResolvedE2BOptions,
  ) {}

  get id(): string {
    return this.sdk.sandboxId;
  }

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
      throw new SandboxInputError('exec needs a non-empty command without NUL bytes.');
    }
    const o = resolveExecOptions(options, this.opts.defaultTimeoutMs);
    if (o.signal?.aborted) throw new SandboxAbortedError();
    const execId = randomUUID();
    // Filled once the command starts; output can reach `deliver` before `run` resolves.
    const started: { handle?: CommandHandle } = {};
    const killTree = () => void (started.handle && this.killTree(started.handle, execId));
    const stdout = new BoundedOutput(this.opts.output);
    const stderr = new BoundedOutput(this.opts.output);
    const startedAt = performance.now();
    let callbackError: unknown;
    const deliver = (stream: 'stdout' | 'stderr', sink: BoundedOutput, data: string) => {
      sink.push(Buffer.from(data));
      if (!o.onOutput || callbackError !== undefined) return;
      try {
        o.onOutput({ stream, data });
      } catch (err) {
        // A broken consumer must not leave the command running unobserved.
        callbackError = err;
        killTree();
      }
    };
    // Note: the SDK's CommandHandle also keeps the whole output as text until the command
    // ends (its stdout/stderr getters); that copy is released with the handle.
    const handle = await this.sdk.commands
      .run(command, {
        background: true,
        cwd: o.cwd,
        envs: { ...o.env, [TREE_MARKER]: execId },
        stdin: o.stdin !== undefined,
        // Our own timer below kills the tree; the SDK's deadline is only a backstop.
        timeoutMs: o.timeoutMs + 30_000,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        onStdout: (data: string) => deliver('stdout', stdout, data),
        onStderr: (data: string) => deliver('stderr', stderr, data),
      })
      .catch((err: unknown) => {
        throw toSandboxError(err, this.id);
      });
    started.handle = handle;
    // A consumer that failed before `run` resolved could not stop the command; do it now.
    if (callbackError !== undefined) killTree();

    let timedOut = false;
    let aborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, o.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killTree();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (o.stdin !== undefined) {
        await handle.sendStdin(o.stdin);
        await handle.closeStdin();
      }
      const exitCode = await waitForExit(handle, this.id);
      if (callbackError !== undefined) throw callbackError;
      if (aborted) throw new SandboxAbortedError();
      return {
        // envd reports -1 for a death by signal; the usual one is our SIGKILL.
        exitCode: exitCode < 0 || timedOut ? 137 : exitCode,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        totalBytes: { stdout: stdout.totalBytes, stderr: stderr.totalBytes },
        durationMs: performance.now() - startedAt,
        timedOut,
      };
    } catch (err) {
      if (callbackError !== undefined) throw callbackError;
      if (aborted) throw new SandboxAbortedError();
      throw err;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const target = resolveSandboxPath(path);
    const body = typeof data === 'string' ? data : new Uint8Array(data).buffer;
    await this.sdk.files
      .write(target, body, { requestTimeoutMs: this.opts.requestTimeoutMs })
      .catch((err: unknown) => {
        throw toSandboxError(err, this.id, target);
      });
  }

  async readFile(path: string): Promise<Buffer> {
    const target = resolveSandboxPath(path);
    const request = { requestTimeoutMs: this.opts.requestTimeoutMs };
    try {
      const info = await this.sdk.files.getInfo(target, request);
      if (info.type === 'dir') throw new SandboxInputError(`${target} is a folder, not a file.`);
      if (info.size > this.opts.maxReadFileBytes) {
        throw new SandboxFileTooLargeError(target, this.opts.maxReadFileBytes);
      }
      return Buffer.from(await this.sdk.files.read(target, { ...request, format: 'bytes' }));
    } catch (err) {
      throw toSandboxError(err, this.id, target);
    }
  }

  async listFiles(path: string): Promise<FileEntry[]> {
    const target = resolveSandboxPath(path);
    const entries = await this.sdk.files
      .list(target, { requestTimeoutMs: this.opts.requestTimeoutMs })
      .catch((err: unknown) => {
        throw toSandboxError(err, this.id, target);
      });
    return entries
      .map((e): FileEntry => ({
        name: e.name,
        path: e.path,
        type: e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other',
        sizeBytes: e.size,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async kill(): Promise<void> {
    // false means it was already gone, which is what the caller wants anyway.
    await this.sdk.kill({ requestTimeoutMs: this.opts.requestTimeoutMs }).catch((err: unknown) => {
      throw toSandboxError(err, this.id);
    });
  }

  /** Best effort by nature: when the sandbox itself is gone there is nothing left to kill. */
  private async killTree(handle: CommandHandle, execId: string): Promise<void> {
    await handle.kill().catch(() => false);
    await this.sdk.commands
      .run(KILL_TREE, { envs: { KILL_ID: execId }, requestTimeoutMs: this.opts.requestTimeoutMs })
      .catch(() => undefined);
  }
}

async function waitForExit(handle: CommandHandle, sandboxId: string): Promise<number> {
  try {
    return (await handle.wait()).exitCode;
  } catch (err) {
    if (err instanceof CommandExitError) return err.exitCode;
    throw toSandboxError(err, sandboxId);
  }
}

/**
 * Turns whatever the e2b SDK threw into this layer's errors, so callers branch on one set
 * of codes whichever provider runs. `path` is set for file operations, where E2B's plain
 * "not found" means the file, not the sandbox.
 */
export function toSandboxError(err: unknown, sandboxId: string, path?: string): Error {
  if (err instanceof SandboxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AuthenticationError) {
    return new SandboxAuthError(`E2B rejected the API key (${message}); check E2B_API_KEY.`, {
      cause: err,
    });
  }
  if (err instanceof E2BSandboxNotFoundError) {
    return new SandboxNotFoundError(sandboxId, undefined, { cause: err });
  }
  if (path !== undefined && (err instanceof FileNotFoundError || err instanceof NotFoundError)) {
    return new SandboxFileNotFoundError(path, { cause: err });
  }
  if (err instanceof NotFoundError)
    return new SandboxNotFoundError(sandboxId, undefined, { cause: err });
  if (err instanceof InvalidArgumentError) {
    return new SandboxInputError(`E2B refused the request: ${message}`, { cause: err });
  }
  return new SandboxUnavailableError(`E2B request for sandbox ${sandboxId} failed: ${message}`, {
    cause: err,
  });
}
