import { existsSync } from 'node:fs';
import path from 'node:path';
import { GCP_TOKEN_PATH } from '../../../lib/sandbox-access/index.js';
import { HOME_DIR, WORK_DIR } from '../exec-options.js';
import type { ResolvedLocalOptions } from './options.js';

/** Host paths backing one sandbox. */
export interface SandboxPaths {
  dir: string;
  home: string;
  work: string;
  passwd: string;
  group: string;
  /**
   * Host folder (the worker's alone) of the sandbox's sockets: `exec/`, where the exec server
   * binds its socket (bound read-write), and `egress/`, where the egress proxy listens (bound
   * read-only, so nothing inside can swap a socket the worker then touches).
   */
  run: string;
}

/**
 * Where the sandbox sees its host socket folders: the exec server's socket and the egress
 * proxy's, and the loopback ports the proxy's sockets are relayed to.
 */
export const EXEC_MOUNT = '/run/dynamiq/exec';
export const EGRESS_MOUNT = '/run/dynamiq/egress';
export const EXEC_SOCKET = 'exec.sock';
export const HTTP_PROXY_PORT = 3128;
export const SOCKS_PROXY_PORT = 1080;
/** Where the exec server's script and the node running it are bound, read-only. */
export const SERVER_MOUNT = '/run/dynamiq-exec';

/** A loopback address inside the sandbox relayed to a socket of the egress proxy. */
export interface SandboxRelay {
  address: string;
  port: number;
  socketName: string;
}

/** The relays every proxied sandbox has: the HTTP and SOCKS5 proxies. */
export const PROXY_RELAYS: SandboxRelay[] = [
  { address: '127.0.0.1', port: HTTP_PROXY_PORT, socketName: 'http.sock' },
  { address: '127.0.0.1', port: SOCKS_PROXY_PORT, socketName: 'socks.sock' },
];

/** The uid and gid commands run as inside every sandbox. */
export const SANDBOX_UID = 1000;

/**
 * The parts of /etc that programs need (TLS roots, the dynamic linker cache, name service
 * config, python's and the alternatives' links). The rest of /etc stays out: it holds host
 * secrets such as ssh host keys, and the host's user list.
 */
const ETC_ENTRIES = [
  'alternatives',
  'bash.bashrc',
  'ca-certificates',
  'ca-certificates.conf',
  'debian_version',
  'gai.conf',
  'host.conf',
  'hosts',
  'inputrc',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'os-release',
  'profile',
  'protocols',
  'python3',
  'python3.11',
  'resolv.conf',
  'services',
  'ssl',
  'terminfo',
  'timezone',
];

/** Entries of ETC_ENTRIES present on this host; bwrap refuses to bind a missing source. */
export function presentEtcEntries(): string[] {
  return ETC_ENTRIES.filter((name) => existsSync(`/etc/${name}`));
}

/** The shell line setting one command's per-process limits (soft and hard alike). */
function ulimitLine(opts: ResolvedLocalOptions): string {
  const { limits } = opts;
  return (
    `ulimit -u ${limits.maxProcesses} -d ${kib(limits.memoryBytes)} -t ${limits.cpuSeconds} ` +
    `-f ${kib(limits.fileSizeBytes)} -n ${limits.openFiles} -c 0 || exit 125`
  );
}

const kib = (bytes: number) => Math.max(1, Math.floor(bytes / 1024));

/**
 * What the sandbox's first process runs before its program, in one bash:
 * - bwrap hands its own descriptors (and any the worker inherited) on, so every descriptor
 *   above stderr is closed before anything untrusted runs;
 * - oom_score_adj 1000 makes the kernel kill sandbox processes first if the host runs out
 *   of memory anyway (children inherit it).
 */
const FIRST_LINES = [
  'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done',
  'echo 1000 > /proc/self/oom_score_adj',
];

export interface BwrapInvocation {
  /** Options read by bwrap from a pipe, so env values never show in the host's process list. */
  options: string[];
  /** What follows `--` on bwrap's command line. */
  command: string[];
}

/** The namespaces and the filesystem of one sandbox, shared by both invocations below. */
function sandboxOptions(
  opts: ResolvedLocalOptions,
  paths: SandboxPaths,
  etcEntries: string[],
): string[] {
  const uid = String(SANDBOX_UID);
  // prettier-ignore
  return [
    '--unshare-all',
    // Named explicitly so --disable-userns is accepted: no nested namespaces from inside.
    '--unshare-user',
    '--disable-userns',
    ...(opts.network === 'shared' ? ['--share-net'] : []),
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--uid', uid,
    '--gid', uid,
    '--hostname', 'sandbox',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/sbin', '/sbin',
    '--symlink', 'usr/lib', '/lib',
    ...(existsSync('/usr/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []),
    '--proc', '/proc',
    '--dev', '/dev',
    // /dev/shm and /tmp are host memory, so both get a size; /dev itself is made read-only.
    '--size', String(Math.min(opts.limits.tmpBytes, 64 * 1024 * 1024)), '--tmpfs', '/dev/shm',
    '--remount-ro', '/dev',
    '--size', String(opts.limits.tmpBytes), '--tmpfs', '/tmp',
    '--dir', '/etc',
    ...etcEntries.flatMap((name) => ['--ro-bind', `/etc/${name}`, `/etc/${name}`]),
    '--ro-bind', paths.passwd, '/etc/passwd',
    '--ro-bind', paths.group, '/etc/group',
    '--bind', paths.home, HOME_DIR,
    // gcloud's token file lives on a tmpfs, never in the persistent home; the exec server
    // empties it (and /tmp, /dev/shm) after every command, even one that was SIGKILLed.
    '--perms', '0700', '--size', String(1024 * 1024), '--tmpfs', GCP_TOKEN_DIR,
    '--bind', paths.work, WORK_DIR,
    ...opts.readOnlyBinds.flatMap((b) => ['--ro-bind', b.source, b.target]),
  ];
}

/** The folder of gcloud's token file, private to each command. */
export const GCP_TOKEN_DIR = path.posix.dirname(GCP_TOKEN_PATH);

/**
 * One fresh sandbox running `command` with `bash -c` and nothing else: how every command ran
 * before the exec server, kept to compare against it (bench/sandbox.ts). No egress relays.
 */
export function buildBwrapInvocation(
  opts: ResolvedLocalOptions,
  paths: SandboxPaths,
  etcEntries: string[],
  exec: { cwd: string; env: Record<string, string>; command: string },
): BwrapInvocation {
  // prettier-ignore
  const options = [
    ...sandboxOptions(opts, paths, etcEntries),
    '--chdir', exec.cwd,
    '--clearenv',
    ...Object.entries(sandboxEnv(opts, exec.env, false)).flatMap(([k, v]) => ['--setenv', k, v]),
  ];
  const init = [...FIRST_LINES, ulimitLine(opts), 'exec /bin/bash -c "$1"'].join('\n');
  return { options, command: ['/bin/bash', '-c', init, 'sandbox-init', exec.command] };
}

/** Host files the exec server needs: its script and the node binary that runs it. */
export interface ExecServerFiles {
  script: string;
  node: string;
}

/**
 * The sandbox's resident exec server (e2b-template/bin/lib/exec-server.mjs) as the child of
 * bwrap's pid 1, with `execDir` (its socket) and `egressDir` (the egress proxy's sockets)
 * bound in. The per-process limits are the server's to set, per command. The config travels
 * as an argument, seen only inside this sandbox: limits, paths, and the nonce the server
 * greets each connection with, so the worker never sends a command to a socket that is not
 * this sandbox's own (one inside could plant a symlink to another sandbox's socket).
 */
export function buildServerInvocation(
  opts: ResolvedLocalOptions,
  paths: SandboxPaths,
  etcEntries: string[],
  server: ExecServerFiles & { execDir: string; egressDir: string; nonce: string },
): BwrapInvocation {
  const { limits } = opts;
  const config = {
    socket: `${EXEC_MOUNT}/${EXEC_SOCKET}`,
    egressDir: EGRESS_MOUNT,
    nonce: server.nonce,
    shell: '/bin/bash',
    limits: {
      maxProcesses: limits.maxProcesses,
      dataKiB: kib(limits.memoryBytes),
      cpuSeconds: limits.cpuSeconds,
      fileKiB: kib(limits.fileSizeBytes),
      openFiles: limits.openFiles,
    },
    scratch: ['/tmp', '/dev/shm', GCP_TOKEN_DIR],
  };
  // prettier-ignore
  const options = [
    ...sandboxOptions(opts, paths, etcEntries),
    '--bind', server.execDir, EXEC_MOUNT,
    '--ro-bind', server.egressDir, EGRESS_MOUNT,
    '--ro-bind', server.node, `${SERVER_MOUNT}/node`,
    '--ro-bind', server.script, `${SERVER_MOUNT}/exec-server.mjs`,
    '--chdir', '/',
    '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin',
    '--setenv', 'LANG', 'C.UTF-8',
  ];
  const init = [
    ...FIRST_LINES,
    // A small heap and no JIT: the server only relays bytes (base64 and JSON are native code),
    // and a smaller process forks each command faster and costs less memory per sandbox.
    `exec ${SERVER_MOUNT}/node --jitless --max-old-space-size=32 ${SERVER_MOUNT}/exec-server.mjs "$1"`,
  ].join('\n');
  return {
    options,
    command: ['/bin/bash', '-c', init, 'exec-server', JSON.stringify(config)],
  };
}

/**
 * Every proxy variable in both spellings (curl reads only lowercase http_proxy, Go and Python
 * either). socks5h: the proxy resolves names, since the sandbox has no DNS. Loopback stays
 * direct, so servers a command starts inside, and the bridged broker, are reached as usual.
 */
function proxyEnv(): Record<string, string> {
  const http = `http://127.0.0.1:${HTTP_PROXY_PORT}`;
  const values = {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    ALL_PROXY: `socks5h://127.0.0.1:${SOCKS_PROXY_PORT}`,
    NO_PROXY: 'localhost,127.0.0.1,::1',
  };
  return Object.fromEntries(
    Object.entries(values).flatMap(([k, v]) => [
      [k, v],
      [k.toLowerCase(), v],
    ]),
  );
}

/** A command's environment: the sandbox's base, the proxy variables, then the caller's. */
export function sandboxEnv(
  opts: ResolvedLocalOptions,
  callerEnv: Record<string, string>,
  proxied: boolean,
) {
  const extraPath = opts.readOnlyBinds.filter((b) => b.onPath).map((b) => b.target);
  return {
    ...(proxied ? proxyEnv() : {}),
    PATH: [...extraPath, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: HOME_DIR,
    USER: 'user',
    LOGNAME: 'user',
    LANG: 'C.UTF-8',
    TMPDIR: '/tmp',
    ...callerEnv,
  };
}
