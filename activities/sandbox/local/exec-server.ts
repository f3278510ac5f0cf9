import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { PROJECT_ROOT } from '../../../lib/paths.js';
import { SandboxAbortedError, SandboxInputError, SandboxUnavailableError } from '../errors.js';
import { BoundedOutput } from '../output.js';
import type { OutputLimits } from '../output.js';
import type { OutputChunk } from '../types.js';
import type { ExecServerFiles, SandboxRelay } from './bwrap-args.js';
import { launchBwrap } from './run.js';
import type { LaunchSpec, RunResult } from './run.js';

/** The server's script (shipped with the helpers) and the node binary running this worker. */
export const EXEC_SERVER_FILES: ExecServerFiles = {
  script: path.join(PROJECT_ROOT, 'e2b-template/bin/lib/exec-server.mjs'),
  node: process.execPath,
};

const START_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 10_000;
/** After a kill request, how long the server gets to report the exit before we hang up. */
const KILL_GRACE_MS = 5_000;

/**
 * The bwrap process of each sandbox this worker started, by socket path. The worker holds
 * them (bwrap --die-with-parent: they end with it); any provider object of this process
 * reaches them, so a sandbox reconnected by id is killed for real.
 */
const servers = new Map<string, ChildProcess>();

/** The socket could not be reached: the server is gone (or never started). */
export class ExecServerGoneError extends Error {}

/**
 * Starts a sandbox's exec server and resolves once it listens on its socket. A bwrap that
 * exits first (a bad bind, a missing node) rejects with what it printed.
 */
export function startExecServer(launch: LaunchSpec, socketPath: string): Promise<void> {
  const child = launchBwrap(launch, ['ignore', 'pipe', 'pipe', 'pipe']);
  let stderr = '';
  // A pipe reset when bwrap dies is its exit, reported below, not an error of the worker.
  child.stdout!.on('error', () => {});
  child.stderr!.on('error', () => {});
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4096);
  });
  return new Promise<void>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SandboxUnavailableError(`The sandbox's exec server did not start: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      if (ready || !d.includes('ready\n')) return;
      ready = true;
      clearTimeout(timer);
      servers.set(socketPath, child);
      // Nothing more is read from it; it must not keep the worker's event loop alive either.
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.unref();
      resolve();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(
        new SandboxUnavailableError(
          `Cannot start bubblewrap at ${launch.bwrapPath} (${err.message}); install it with apt-get install bubblewrap.`,
          { cause: err },
        ),
      );
    });
    child.on('exit', (code, signal) => {
      if (servers.get(socketPath) === child) servers.delete(socketPath);
      if (ready) return;
      clearTimeout(timer);
      reject(
        new SandboxUnavailableError(
          `bubblewrap could not set up the sandbox (exit ${code ?? signal}): ${stderr}`,
        ),
      );
    });
  });
}

/** Kills the sandbox: the server kills every process inside, then its bwrap is SIGKILLed. */
export async function stopExecServer(socketPath: string, nonce: string): Promise<void> {
  await request(socketPath, nonce, { t: 'shutdown' }).catch(() => undefined);
  const child = servers.get(socketPath);
  if (!child) return;
  servers.delete(socketPath);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Held (ref'd) again until it is gone: the caller waits for it.
  child.ref();
  child.kill('SIGKILL');
  await exited;
}

export interface ServerInfo {
  pid: number;
  fds: number;
  processes: number;
  running: number;
  relays: number;
}

/** The server's own figures, or undefined when nothing answers on the socket. */
export async function execServerInfo(
  socketPath: string,
  nonce: string,
): Promise<ServerInfo | undefined> {
  try {
    return (await request(socketPath, nonce, { t: 'info' })) as unknown as ServerInfo;
  } catch {
    return undefined;
  }
}

/**
 * Connects and reads the server's greeting: only a server that knows this sandbox's nonce is
 * talked to (the socket's folder is writable from inside, so the path alone proves nothing).
 */
async function openVerified(
  socketPath: string,
  nonce: string,
): Promise<{ socket: Socket; lines: AsyncIterableIterator<string> & Interface }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(socketPath);
    // One listener for the socket's whole life: an error before connect rejects, one after is
    // the server going away, which the reads below see as the end (never an uncaught error).
    let connected = false;
    s.on('error', (err) => {
      if (!connected) reject(new ExecServerGoneError(err.message, { cause: err }));
    });
    s.once('connect', () => {
      connected = true;
      resolve(s);
    });
  });
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  // A server that accepts but never greets (stopped, or dying with its sandbox) is gone too.
  const greeting = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), GREETING_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    lines.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  let hello: { t?: string; nonce?: string } | undefined;
  try {
    hello = greeting === undefined ? undefined : (JSON.parse(greeting) as typeof hello);
  } catch {
    hello = undefined;
  }
  if (hello?.t !== 'hello' || hello.nonce !== nonce) {
    socket.destroy();
    throw new ExecServerGoneError(`${socketPath} is not this sandbox's exec server`);
  }
  return { socket, lines: lines as AsyncIterableIterator<string> & Interface };
}

/** One request answered by one line. */
async function request(
  socketPath: string,
  nonce: string,
  message: object,
): Promise<Record<string, unknown>> {
  const { socket, lines } = await openVerified(socketPath, nonce);
  socket.write(`${JSON.stringify(message)}\n`);
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
    });
    if (answer === undefined) throw new ExecServerGoneError('no answer');
    return JSON.parse(answer) as Record<string, unknown>;
  } finally {
    socket.destroy();
  }
}

export interface ServerExecSpec {
  command: string;
  cwd: string;
  env: Record<string, string>;
  relays: SandboxRelay[];
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (chunk: OutputChunk) => void;
  output: OutputLimits;
}

let nextId = 0;

/**
 * Runs one command through the sandbox's exec server. The timeout, the abort signal and a
 * throwing `onOutput` send a kill: the server SIGKILLs the command's process group and every
 * process that carries its marker, then reports the exit. Rejects with ExecServerGoneError
 * when the socket cannot be reached (nothing was run).
 */
export async function execThroughServer(
  socketPath: string,
  nonce: string,
  spec: ServerExecSpec,
): Promise<RunResult> {
  if (spec.signal?.aborted) throw new SandboxAbortedError();
  const started = performance.now();
  const { socket, lines } = await openVerified(socketPath, nonce);
  const id = `${process.pid}-${++nextId}`;
  socket.write(
    `${JSON.stringify({
      t: 'exec',
      id,
      command: spec.command,
      cwd: spec.cwd,
      env: spec.env,
      relays: spec.relays.map((r) => ({ address: r.address, port: r.port, socket: r.socketName })),
      stdin: spec.stdin?.toString('base64'),
    })}\n`,
  );
  const stdout = new BoundedOutput(spec.output);
  const stderr = new BoundedOutput(spec.output);
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  let timedOut = false;
  let aborted = false;
  let callbackError: unknown;
  let graceTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (socket.destroyed) return;
    socket.write('{"t":"kill"}\n');
    // A server that no longer answers: hanging up makes it kill the command all the same.
    graceTimer ??= setTimeout(() => socket.destroy(), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  const onAbort = () => {
    aborted = true;
    kill();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise<RunResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      fn();
    };
    lines.on('line', (line) => {
      let msg: { t?: string; s?: string; d?: string; code?: number | null; signal?: string };
      let kind: string | undefined;
      try {
        msg = JSON.parse(line) as typeof msg;
        kind = (msg as { kind?: string }).kind;
      } catch {
        return;
      }
      if (msg.t === 'out' && (msg.s === 'stdout' || msg.s === 'stderr')) {
        const chunk = Buffer.from(msg.d ?? '', 'base64');
        (msg.s === 'stdout' ? stdout : stderr).push(chunk);
        if (!spec.onOutput || callbackError !== undefined) return;
        const data = decoders[msg.s].write(chunk);
        if (!data) return;
        try {
          spec.onOutput({ stream: msg.s, data });
        } catch (err) {
          // A broken consumer must not leave the command running unobserved.
          callbackError = err;
          kill();
        }
      } else if (msg.t === 'exit') {
        finish(() => {
          if (callbackError !== undefined) return reject(callbackError);
          if (aborted) return reject(new SandboxAbortedError());
          const signalNumber = msg.signal ? (signalNumbers[msg.signal] ?? 0) : 0;
          const exitCode = msg.code ?? 128 + signalNumber;
          resolve({ exitCode, stdout, stderr, timedOut, durationMs: performance.now() - started });
        });
      } else if (msg.t === 'error') {
        const text = (msg as { message?: string }).message ?? '';
        finish(() =>
          reject(
            kind === 'cwd'
              ? new SandboxInputError(`The working folder does not exist: ${text}`)
              : new SandboxUnavailableError(`The sandbox could not run the command: ${text}`),
          ),
        );
      }
    });
    socket.on('close', () =>
      finish(() => {
        if (callbackError !== undefined) return reject(callbackError);
        if (aborted) return reject(new SandboxAbortedError());
        if (timedOut) {
          return resolve({
            exitCode: 137,
            stdout,
            stderr,
            timedOut,
            durationMs: performance.now() - started,
          });
        }
        reject(new SandboxUnavailableError("The sandbox's exec server went away mid-command."));
      }),
    );
  });
}

const signalNumbers = constants.signals as unknown as Record<string, number>;
