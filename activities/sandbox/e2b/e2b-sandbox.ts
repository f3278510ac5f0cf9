import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CommandExitError } from 'e2b';
import type { CommandHandle, Sandbox as E2BSdkSandbox } from 'e2b';
import {
  SandboxAbortedError,
  SandboxFileTooLargeError,
  SandboxInputError,
} from '../errors.js';
import { resolveExecOptions, resolveSandboxPath } from '../exec-options.js';
import { BoundedOutput } from '../output.js';
import type { ExecOptions, ExecResult, FileEntry, Sandbox } from '../types.js';
import { toSandboxError } from './map-error.js';
import type { ResolvedE2BOptions } from './options.js';

/** Marks every process a command starts, so the whole tree can be found and killed. */
const TREE_MARKER = 'DYNAMIQ_EXEC_ID';

// Kills every process whose environment carries the marker: the command, its children, and
// any that detached with setsid. envd's own kill signals one pid only.
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
    const stdout = new BoundedOutput(this.opts.output);
    const stderr = new BoundedOutput(this.opts.output);
    const started = performance.now();
    const handle = await this.sdk.commands
      .run(command, {
        background: true,
        cwd: o.cwd,
        envs: { ...o.env, [TREE_MARKER]: execId },
        stdin: o.stdin !== undefined,
        // Our own timer below kills the tree; the SDK's deadline is only a backstop.
        timeoutMs: o.timeoutMs + 30_000,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        onStdout: (data: string) => {
          stdout.push(Buffer.from(data));
          o.onOutput?.({ stream: 'stdout', data });
        },
        onStderr: (data: string) => {
          stderr.push(Buffer.from(data));
          o.onOutput?.({ stream: 'stderr', data });
        },
      })
      .catch((err: unknown) => {
        throw toSandboxError(err, this.id);
      });

    let timedOut = false;
    let aborted = false;
    const killTree = () => void this.killTree(handle, execId);
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
      if (aborted) throw new SandboxAbortedError();
      return {
        // envd reports -1 for a death by signal; the usual one is our SIGKILL.
        exitCode: exitCode < 0 || timedOut ? 137 : exitCode,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        totalBytes: { stdout: stdout.totalBytes, stderr: stderr.totalBytes },
        durationMs: performance.now() - started,
        timedOut,
      };
    } catch (err) {
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
      .map(
        (e): FileEntry => ({
          name: e.name,
          path: e.path,
          type: e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other',
          sizeBytes: e.size,
        }),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async kill(): Promise<void> {
    // false means it was already gone, which is what the caller wants anyway.
    await this.sdk.kill({ requestTimeoutMs: this.opts.requestTimeoutMs }).catch((err: unknown) => {
      throw toSandboxError(err, this.id);
    });
  }

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
