import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { BoundedOutput } from '../output.js';
import type { BwrapInvocation } from './bwrap-args.js';

/** A finished command: exit status, bounded output, whether the time limit ended it. */
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

export function writeAndClose(stream: Writable, data: Buffer | undefined) {
  // EPIPE when the command exits without reading its input is normal, not a failure.
  stream.on('error', () => {});
  stream.end(data);
}
