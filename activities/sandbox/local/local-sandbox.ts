import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
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
import { buildBwrapInvocation, HTTP_PROXY_PORT, SOCKS_PROXY_PORT } from './bwrap-args.js';
import type { SandboxEgress, SandboxPaths } from './bwrap-args.js';
import { enterableCgroups, removeCgroups } from './cgroups.js';
import { unmountDisk } from './disk.js';
import type { CgroupSupport } from './cgroups.js';
import type { ResolvedLocalOptions } from './options.js';
import { runBwrap } from './run.js';
import type { RunResult } from './run.js';

// Exit codes of the helper scripts below, chosen outside what cat, find and stat return.
const EXIT_MISSING = 44;
const EXIT_WRONG_TYPE = 45;
const EXIT_TOO_LARGE = 46;

/**
 * One bubblewrap sandbox. Nothing runs between commands: each `exec` starts a fresh set of
 * namespaces over the sandbox's persistent home and /work folders, which is why a restarted
 * worker can pick a sandbox up again from its folder alone.
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
    await removeCgroups(this.cgroups, this.id);
    await unmountDisk(this.paths.dir);
    await rm(this.paths.dir, { recursive: true, force: true });
  }

  private async run(
    command: string,
    o: ReturnType<typeof resolveExecOptions>,
    output: OutputLimits,
    withEgress = false,
  ): Promise<RunResult & { network?: ReturnType<EgressProxy['connections']> }> {
    if (this.killer.signal.aborted || !existsSync(this.paths.work)) {
      throw new SandboxNotFoundError(this.id);
    }
    if (!withEgress) return this.runIn(command, o, output, undefined);
    const egress = await this.startEgress();
    try {
      const r = await this.runIn(command, o, output, egress.sandbox);
      return { ...r, network: egress.proxy.connections() };
    } finally {
      await egress.proxy.close();
      await rm(egress.sandbox.dir, { recursive: true, force: true });
    }
  }

  /**
   * The command's own egress proxy, in a fresh folder only the sandbox user can enter. Its
   * policy is built per command, because the broker's address may be known only late.
   */
  private async startEgress(): Promise<{ proxy: EgressProxy; sandbox: SandboxEgress }> {
    const e = this.opts.egress;
    await mkdir(e.socketDir, { recursive: true, mode: 0o711 });
    const dir = await mkdtemp(path.join(e.socketDir, 'x'));
    try {
      if (this.opts.hostUid !== undefined) await chown(dir, this.opts.hostUid, this.opts.hostUid);
      const allow = [...e.allow, ...(e.allowPerCommand?.() ?? [])].filter(
        (d) => parseDestination(d) !== undefined,
      );
      const policy = new EgressPolicy({ allow, deny: e.deny, domains: e.domains });
      const bridges = loopbackBridges(allow);
      const proxy = await EgressProxy.start({
        policy,
        dir,
        bridges: bridges.map((b) => ({ host: b.host, port: b.port, socketName: b.socketName })),
      });
      return { proxy, sandbox: { dir, bridges } };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async runIn(
    command: string,
    o: ReturnType<typeof resolveExecOptions>,
    output: OutputLimits,
    egress: SandboxEgress | undefined,
  ): Promise<RunResult> {
    const signal = o.signal ? AbortSignal.any([o.signal, this.killer.signal]) : this.killer.signal;
    const invocation = buildBwrapInvocation(this.opts, this.paths, this.etcEntries, {
      cwd: o.cwd,
      env: o.env,
      command,
      egress,
    });
    // Made once per sandbox object; after a worker restart `connect` finds or recreates them.
    this.cgroupProcs ??= enterableCgroups(this.cgroups, this.id, this.opts.sandboxLimits).catch(
      (err: unknown) => {
        this.cgroupProcs = undefined;
        throw new SandboxUnavailableError(`Cannot set up the sandbox's cgroups: ${String(err)}`, {
          cause: err,
        });
      },
    );
    const cgroupProcs = await this.cgroupProcs;
    const pending = runBwrap({
      bwrapPath: this.opts.bwrapPath,
      invocation,
      hostUid: this.opts.hostUid,
      cgroupProcs,
      stdin: o.stdin,
      timeoutMs: o.timeoutMs,
      signal,
      onOutput: o.onOutput,
      output,
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
  const seen = new Map<string, SandboxEgress['bridges'][number] & { host: string }>();
  for (const entry of allow) {
    const d = parseDestination(entry)!;
    const host = canonicalHost(d.host)!;
    const address = host === 'localhost' ? '127.0.0.1' : host;
    if (!/^127\.\d+\.\d+\.\d+$/.test(address)) continue;
    if (d.port === HTTP_PROXY_PORT || d.port === SOCKS_PROXY_PORT) continue;
    const id = `${address}:${d.port}`;
    if (!seen.has(id)) {
      seen.set(id, { address, port: d.port, host, socketName: `fwd-${seen.size}.sock` });
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
