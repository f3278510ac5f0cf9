import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';
import { SandboxAbortedError, SandboxInputError, SandboxUnavailableError } from '../errors.js';
import { BoundedOutput } from '../output.js';
import type { OutputLimits } from '../output.js';
import type { OutputChunk } from '../types.js';
import type { BwrapInvocation } from './bwrap-args.js';

export interface RunSpec extends LaunchSpec {
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (chunk: OutputChunk) => void;
  output: OutputLimits;
}

export interface RunResult {
  exitCode: number;
  stdout: BoundedOutput;
  stderr: BoundedOutput;
  timedOut: boolean;
  durationMs: number;
}

/** What starting bubblewrap needs, for one command or for a sandbox's exec server. */
export interface LaunchSpec {
  bwrapPath: string;
  invocation: BwrapInvocation;
  hostUid: number | undefined;
  cgroupProcs?: string[];
}

/**
 * Spawns bwrap with its options on fd 3. With cgroups, a root shell moves itself into the
 * sandbox's cgroups, then becomes bwrap as the sandbox uid (same pid), so every process of
 * the sandbox is born inside them.
 */
export function launchBwrap(spec: LaunchSpec, stdio: StdioOptions): ChildProcess {
  // The launcher and the outer bwrap are host processes whose environment other host tools can
  // read in /proc; the worker's own (master key, database URL) must not be copied into them.
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  const bwrap = [spec.bwrapPath, '--args', '3', '--', ...spec.invocation.command];
  const child = spec.cgroupProcs?.length
    ? spawn(
        '/bin/sh',
        [
          '-c',
          'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"',
          'sandbox-launch',
          ...spec.cgroupProcs,
          '--',
          ...(spec.hostUid === undefined
            ? []
            : [
                '/usr/bin/setpriv',
                `--reuid=${spec.hostUid}`,
                `--regid=${spec.hostUid}`,
                '--clear-groups',
                '--',
              ]),
          ...bwrap,
        ],
        { stdio, env },
      )
    : spawn(bwrap[0]!, bwrap.slice(1), {
        stdio,
        env,
        ...(spec.hostUid === undefined ? {} : { uid: spec.hostUid, gid: spec.hostUid }),
      });
  writeAndClose(child.stdio[3] as Writable, Buffer.from(spec.invocation.options.join('\0') + '\0'));
  return child;
}

/**
 * Runs one bubblewrap invocation to its end (a fresh sandbox per command: the benchmark's
 * baseline; sandboxes run their commands through the exec server). The timeout and the abort signal SIGKILL the
 * outer bwrap: its child is the sandbox's pid-namespace init and dies with it
 * (--die-with-parent), and the kernel then kills every process left in that namespace, so
 * nothing the command started (daemons, setsid'd grandchildren) survives.
 */
export function runBwrap(spec: RunSpec): Promise<RunResult> {
  if (spec.signal?.aborted) return Promise.reject(new SandboxAbortedError());
  const started = performance.now();
  const child = launchBwrap(spec, ['pipe', 'pipe', 'pipe', 'pipe']);
  const stdout = new BoundedOutput(spec.output);
  const stderr = new BoundedOutput(spec.output);
  let timedOut = false;
  let aborted = false;
  let callbackError: unknown;

  const kill = () => child.kill('SIGKILL');
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  const onAbort = () => {
    aborted = true;
    kill();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });

  const collect = (stream: 'stdout' | 'stderr', sink: BoundedOutput) => {
    const decoder = new StringDecoder('utf8');
    child[stream]!.on('data', (chunk: Buffer) => {
      sink.push(chunk);
      if (!spec.onOutput || callbackError !== undefined) return;
      const data = decoder.write(chunk);
      if (!data) return;
      try {
        spec.onOutput({ stream, data });
      } catch (err) {
        // A broken consumer must not leave the command running unobserved.
        callbackError = err;
        kill();
      }
    });
  };
  collect('stdout', stdout);
  collect('stderr', stderr);
  writeAndClose(child.stdin!, spec.stdin);

  return new Promise<RunResult>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      reject(
        new SandboxUnavailableError(
          `Cannot start bubblewrap at ${spec.bwrapPath} (${err.message}); install it with apt-get install bubblewrap.`,
          { cause: err },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      if (callbackError !== undefined) return reject(callbackError);
      if (aborted) return reject(new SandboxAbortedError());
      const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      const durationMs = performance.now() - started;
      if (exitCode === 1 && stdout.totalBytes === 0 && stderr.text().startsWith('bwrap: ')) {
        if (stderr.text().startsWith("bwrap: Can't chdir")) {
          return reject(
            new SandboxInputError(`The working folder does not exist: ${stderr.text()}`),
          );
        }
        return reject(
          new SandboxUnavailableError(`bubblewrap could not set up the sandbox: ${stderr.text()}`),
        );
      }
      resolve({ exitCode, stdout, stderr, timedOut, durationMs });
    });
  });
}

export function writeAndClose(stream: Writable, data: Buffer | undefined) {
  // EPIPE when the command exits without reading its input is normal, not a failure.
  stream.on('error', () => {});
  stream.end(data);
}
