import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalHost } from '../egress/address.js';
import { EgressPolicy, parseDestination } from '../egress/policy.js';
import { EgressProxy } from '../egress/proxy.js';
import {
  SandboxFileNotFoundError,
  SandboxFileTooLargeError,
  SandboxInputError,
  SandboxNotFoundError,
  SandboxUnavailableError,
} from '../errors.js';
import { resolveExecOptions, resolveSandboxPath } from '../exec-options.js';
import type { OutputLimits } from '../output.js';
import type { ExecOptions, ExecResult, FileEntry, Sandbox } from '../types.js';
import {
  buildServerInvocation,
  EXEC_SOCKET,
  HTTP_PROXY_PORT,
  PROXY_RELAYS,
  sandboxEnv,
  SOCKS_PROXY_PORT,
} from './bwrap-args.js';
import type { SandboxPaths, SandboxRelay } from './bwrap-args.js';
import { enterableCgroups, removeCgroups } from './cgroups.js';
import { unmountDisk } from './disk.js';
import type { CgroupSupport } from './cgroups.js';
import type { ResolvedLocalOptions } from './options.js';
import {
  EXEC_SERVER_FILES,
  ExecServerGoneError,
  execServerInfo,
  execThroughServer,
  startExecServer,
  stopExecServer,
} from './exec-server.js';
import type { ServerInfo } from './exec-server.js';
import type { RunResult } from './run.js';

// Exit codes of the helper scripts below, chosen outside what cat, find and stat return.
const EXIT_MISSING = 44;
const EXIT_WRONG_TYPE = 45;
const EXIT_TOO_LARGE = 46;

/**
 * One bubblewrap sandbox: one set of namespaces, started with the sandbox, whose resident
 * exec server (e2b-template/bin/lib/exec-server.mjs) runs each command on request over a Unix
 * socket in `paths.run`. File operations are fixed scripts run through it, in the sandbox's
 * view of its paths. The worker holds the sandbox's bwrap (--die-with-parent); a worker that
 * restarts reconnects to a live server or, when it is gone, starts the sandbox again over
 * its persistent home and /work folders.
 */
export class LocalSandbox implements Sandbox {
  private readonly killer = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    readonly id: string,
    private readonly opts: ResolvedLocalOptions,
    private readonly paths: SandboxPaths,
    private readonly etcEntries: string[],
    private readonly cgroups: CgroupSupport = { kind: 'none', reason: 'not given' },
  ) {}

  private cgroupProcs: Promise<string[]> | undefined;
  private server: Promise<void> | undefined;
  private proxy: Promise<EgressProxy> | undefined;
  /** What the exec server greets with; kept in a file of the worker's for a restarted worker. */
  private nonce = '';

  /** The exec server's socket on the host. */
  get socketPath(): string {
    return path.join(this.paths.run, 'exec', EXEC_SOCKET);
  }

  private get nonceFile(): string {
    return path.join(this.paths.run, 'nonce');
  }

  /** The exec server's pid, descriptors and the sandbox's processes; undefined if it is gone. */
  serverInfo(): Promise<ServerInfo | undefined> {
    return execServerInfo(this.socketPath, this.nonce);
  }

  /** Makes sure the exec server answers: a live one is reused, a missing one started. */
  ensureServer(): Promise<void> {
    this.server ??= this.startOrReuseServer().catch((err: unknown) => {
      this.server = undefined;
      throw err;
    });
    return this.server;
  }

  private async startOrReuseServer(): Promise<void> {
    const saved = await readFile(this.nonceFile, 'utf8').catch(() => undefined);
    if (saved && (await execServerInfo(this.socketPath, saved))) {
      this.nonce = saved;
      return;
    }
    // Whatever this worker still holds of an earlier start (a server that stopped answering
    // as itself) goes first.
    await stopExecServer(this.socketPath, this.nonce);
    // The run folder is the worker's; inside it, exec/ is the sandbox's to write (made afresh
    // for each start) and egress/ is bound read-only.
    await mkdir(path.dirname(this.paths.run), { recursive: true, mode: 0o711 });
    await mkdir(this.paths.run, { recursive: true, mode: 0o711 });
    const execDir = path.join(this.paths.run, 'exec');
    const egressDir = path.join(this.paths.run, 'egress');
    await rm(execDir, { recursive: true, force: true });
    await mkdir(execDir, { mode: 0o700 });
    await mkdir(egressDir, { recursive: true, mode: 0o700 });
    if (this.opts.hostUid !== undefined) {
      await chown(execDir, this.opts.hostUid, this.opts.hostUid);
      await chown(egressDir, this.opts.hostUid, this.opts.hostUid);
    }
    this.nonce = randomBytes(16).toString('hex');
    await writeFile(this.nonceFile, this.nonce, { mode: 0o600 });
    const invocation = buildServerInvocation(this.opts, this.paths, this.etcEntries, {
      ...EXEC_SERVER_FILES,
      execDir,
      egressDir,
      nonce: this.nonce,
    });
    await startExecServer(
      {
        bwrapPath: this.opts.bwrapPath,
        invocation,
        hostUid: this.opts.hostUid,
        cgroupProcs: await this.enterableCgroups(),
      },
      this.socketPath,
    );
  }

  // Made once per sandbox object; after a worker restart `connect` finds or recreates them.
  private enterableCgroups(): Promise<string[]> {
    this.cgroupProcs ??= enterableCgroups(this.cgroups, this.id, this.opts.sandboxLimits).catch(
      (err: unknown) => {
        this.cgroupProcs = undefined;
        throw new SandboxUnavailableError(`Cannot set up the sandbox's cgroups: ${String(err)}`, {
          cause: err,
        });
      },
    );
    return this.cgroupProcs;
  }

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
      throw new SandboxInputError('exec needs a non-empty command without NUL bytes.');
    }
    const o = resolveExecOptions(options, this.opts.defaultTimeoutMs);
    const r = await this.run(command, o, this.opts.output, this.opts.network === 'proxied');
    return {
      ...(r.network ? { network: r.network } : {}),
      exitCode: r.exitCode,
      stdout: r.stdout.text(),
      stderr: r.stderr.text(),
      truncated: r.stdout.truncated || r.stderr.truncated,
      totalBytes: { stdout: r.stdout.totalBytes, stderr: r.stderr.totalBytes },
      durationMs: r.durationMs,
      timedOut: r.timedOut,
    };
  }

  // File operations run inside the sandbox rather than on the host folder: a path or a
  // symlink planted by the command then resolves in the sandbox's view, never the host's.
  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const target = resolveSandboxPath(path);
    const script = 'mkdir -p -- "$(dirname -- "$P")" && cat > "$P"';
    const r = await this.helper(script, target, Buffer.from(data));
    if (r.exitCode !== 0) throw new SandboxInputError(`Cannot write ${target}: ${r.stderr.text()}`);
  }

  async readFile(path: string): Promise<Buffer> {
    const target = resolveSandboxPath(path);
    const max = this.opts.maxReadFileBytes;
    const script =
      `[ -e "$P" ] || exit ${EXIT_MISSING}; [ -d "$P" ] && exit ${EXIT_WRONG_TYPE}; ` +
      `[ "$(stat -L -c %s -- "$P")" -gt ${max} ] && exit ${EXIT_TOO_LARGE}; exec cat -- "$P"`;
    const r = await this.helper(script, target, undefined, max);
    this.checkHelperExit(r, target, 'a folder, not a file');
    // The file may have grown between stat and cat.
    if (r.stdout.truncated) throw new SandboxFileTooLargeError(target, max);
    return r.stdout.bytes();
  }

  async listFiles(path: string): Promise<FileEntry[]> {
    const target = resolveSandboxPath(path);
    const script =
      `[ -e "$P" ] || exit ${EXIT_MISSING}; [ -d "$P" ] || exit ${EXIT_WRONG_TYPE}; ` +
      `exec find "$P" -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%f\\0'`;
    const r = await this.helper(script, target, undefined, this.opts.maxReadFileBytes);
    this.checkHelperExit(r, target, 'a file, not a folder');
    if (r.stdout.truncated) {
      throw new SandboxInputError(`${target} has too many entries to list; use exec with find.`);
    }
    const entries = r.stdout
      .bytes()
      .toString('utf8')
      .split('\0')
      .filter((record) => record.length > 0)
      .map((record) => {
        const [kind = '', size = '0', ...nameParts] = record.split('\t');
        const name = nameParts.join('\t');
        return {
          name,
          path: `${target === '/' ? '' : target}/${name}`,
          type: fileType(kind),
          sizeBytes: Number(size),
        };
      });
    return entries.sort((a, b) => a.name.localeCompare(b.name));
  }

  async kill(): Promise<void> {
    this.killer.abort();
    await Promise.allSettled([...this.running]);
    await Promise.allSettled([this.server]);
    await stopExecServer(this.socketPath, this.nonce);
    const proxy = await this.proxy?.catch(() => undefined);
    await proxy?.close();
    await removeCgroups(this.cgroups, this.id);
    await unmountDisk(this.paths.dir);
    await rm(this.paths.dir, { recursive: true, force: true });
    await rm(this.paths.run, { recursive: true, force: true });
  }

  private async run(
    command: string,
    o: ReturnType<typeof resolveExecOptions>,
    output: OutputLimits,
    withEgress = false,
  ): Promise<RunResult & { network?: ExecResult['network'] }> {
    if (this.killer.signal.aborted || !existsSync(this.paths.work)) {
      throw new SandboxNotFoundError(this.id);
    }
    if (!withEgress) return this.runIn(command, o, output, []);
    const { proxy, relays } = await this.prepareEgress();
    const recording = proxy.record();
    let r: RunResult;
    try {
      r = await this.runIn(command, o, output, relays);
    } catch (err) {
      await recording.stop(0);
      throw err;
    }
    return { ...r, network: await recording.stop() };
  }

  /**
   * The sandbox's egress proxy, on sockets in its run folder that its exec server relays to
   * loopback ports inside. The policy is built per command, because the broker's address may
   * be known only late; a newly allowed loopback destination gets its bridge then.
   */
  private async prepareEgress(): Promise<{ proxy: EgressProxy; relays: SandboxRelay[] }> {
    const e = this.opts.egress;
    const allow = [...e.allow, ...(e.allowPerCommand?.() ?? [])].filter(
      (d) => parseDestination(d) !== undefined,
    );
    const policy = new EgressPolicy({ allow, deny: e.deny, domains: e.domains });
    const bridges = loopbackBridges(allow);
    await this.ensureServer();
    const dir = path.join(this.paths.run, 'egress');
    this.proxy ??= EgressProxy.start({ policy, dir, bridges: [] }).catch((err: unknown) => {
      this.proxy = undefined;
      throw err;
    });
    const proxy = await this.proxy;
    proxy.setPolicy(policy);
    await proxy.addBridges(bridges);
    return { proxy, relays: [...PROXY_RELAYS, ...bridges] };
  }

  private async runIn(
    command: string,
    o: ReturnType<typeof resolveExecOptions>,
    output: OutputLimits,
    relays: SandboxRelay[],
  ): Promise<RunResult> {
    const signal = o.signal ? AbortSignal.any([o.signal, this.killer.signal]) : this.killer.signal;
    const spec = {
      command,
      cwd: o.cwd,
      env: sandboxEnv(this.opts, o.env, relays.length > 0),
      relays,
      stdin: o.stdin,
      timeoutMs: o.timeoutMs,
      signal,
      onOutput: o.onOutput,
      output,
    };
    const attempt = async () => {
      await this.ensureServer();
      return execThroughServer(this.socketPath, this.nonce, spec);
    };
    const pending = attempt().catch(async (err: unknown) => {
      // The server went away (killed, or its sandbox crashed): the sandbox starts again over
      // its folders, and the command, which never ran, runs there.
      if (!(err instanceof ExecServerGoneError) || this.killer.signal.aborted) throw err;
      this.server = undefined;
      return attempt();
    });
    this.running.add(pending);
    try {
      return await pending;
    } finally {
      this.running.delete(pending);
    }
  }

  /** Runs a fixed script with the path passed in $P, so no path is ever spliced into shell. */
  private helper(script: string, target: string, stdin?: Buffer, maxOutput = 64 * 1024) {
    const o = resolveExecOptions({ env: { P: target } }, this.opts.defaultTimeoutMs);
    return this.run(script, { ...o, stdin }, { headBytes: maxOutput, tailBytes: 0 });
  }

  private checkHelperExit(r: RunResult, target: string, wrongType: string) {
    if (r.exitCode === 0) return;
    if (r.exitCode === EXIT_MISSING) throw new SandboxFileNotFoundError(target);
    if (r.exitCode === EXIT_WRONG_TYPE) throw new SandboxInputError(`${target} is ${wrongType}.`);
    if (r.exitCode === EXIT_TOO_LARGE) {
      throw new SandboxFileTooLargeError(target, this.opts.maxReadFileBytes);
    }
    throw new SandboxInputError(`Cannot read ${target}: ${r.stderr.text()}`);
  }
}

/**
 * Allowed destinations on the IPv4 loopback (the broker of a one-process install, a test
 * server) are relayed to the same address and port inside, so every client reaches them by
 * the URL it was given, proxy-aware or not (Go's clients never proxy loopback).
 */
function loopbackBridges(allow: readonly string[]) {
  const seen = new Map<string, SandboxRelay & { host: string }>();
  for (const entry of allow) {
    const d = parseDestination(entry)!;
    const host = canonicalHost(d.host)!;
    const address = host === 'localhost' ? '127.0.0.1' : host;
    if (!/^127\.\d+\.\d+\.\d+$/.test(address)) continue;
    if (d.port === HTTP_PROXY_PORT || d.port === SOCKS_PROXY_PORT) continue;
    const id = `${address}:${d.port}`;
    if (!seen.has(id)) {
      seen.set(id, { address, port: d.port, host, socketName: `fwd-${address}-${d.port}.sock` });
    }
  }
  return [...seen.values()];
}

function fileType(findKind: string): FileEntry['type'] {
  if (findKind === 'f') return 'file';
  if (findKind === 'd') return 'dir';
  if (findKind === 'l') return 'symlink';
  return 'other';
}
