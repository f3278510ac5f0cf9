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
}

/** Where a proxied sandbox sees its egress sockets, and the loopback ports they are relayed to. */
export const EGRESS_MOUNT = '/run/dynamiq-egress';
export const HTTP_PROXY_PORT = 3128;
export const SOCKS_PROXY_PORT = 1080;

/** One command's egress, as the sandbox sees it: the proxy's sockets and the loopback bridges. */
export interface SandboxEgress {
  /** Host folder holding http.sock, socks.sock and one socket per bridge. */
  dir: string;
  /** Loopback addresses inside the sandbox relayed to a socket in `dir`. */
  bridges: Array<{ address: string; port: number; socketName: string }>;
}

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

/**
 * The script the sandbox's first process runs before the command, all in one bash so a
 * command costs no extra execs:
 * - bwrap hands its own descriptors (and any the worker inherited) to the command, so every
 *   descriptor above stderr is closed before anything untrusted runs;
 * - the limits are set here, after the user namespace exists, so they count this sandbox's
 *   processes only (the process limit does not apply to a uid that is root on the host);
 *   `ulimit` without -S/-H sets soft and hard alike, so the command cannot raise them;
 * - oom_score_adj 1000 makes the kernel kill sandbox processes first if the host runs out
 *   of memory anyway.
 */
function sandboxInit(opts: ResolvedLocalOptions, egress: SandboxEgress | undefined): string {
  const { limits } = opts;
  const kib = (bytes: number) => Math.max(1, Math.floor(bytes / 1024));
  return [
    'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done',
    `ulimit -u ${limits.maxProcesses} -d ${kib(limits.memoryBytes)} -t ${limits.cpuSeconds} ` +
      `-f ${kib(limits.fileSizeBytes)} -n ${limits.openFiles} -c 0 || exit 125`,
    'echo 1000 > /proc/self/oom_score_adj',
    ...(egress ? egressRelays(opts.egress.socatPath, egress) : []),
    'exec /bin/bash -c "$1"',
  ].join('\n');
}

/**
 * socat relays from the sandbox's loopback to the sockets bound in, as sandbox-runtime does
 * on Linux. They die with the command (the pid namespace goes when its first process does).
 * The command starts once every relay listens: the loop reads /proc/net/tcp with a builtin,
 * so waiting costs no process.
 */
function egressRelays(socat: string, egress: SandboxEgress): string[] {
  const relays = [
    { address: '127.0.0.1', port: HTTP_PROXY_PORT, socketName: 'http.sock' },
    { address: '127.0.0.1', port: SOCKS_PROXY_PORT, socketName: 'socks.sock' },
    ...egress.bridges,
  ];
  const listening = relays.map((r) => {
    const hexAddress = r.address
      .split('.')
      .reverse()
      .map((b) => Number(b).toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    const hexPort = r.port.toString(16).padStart(4, '0').toUpperCase();
    return `[[ "\${t[*]}" == *"${hexAddress}:${hexPort} 00000000:0000 0A"* ]]`;
  });
  return [
    ...relays.map(
      (r) =>
        `${socat} TCP4-LISTEN:${r.port},bind=${r.address},fork,reuseaddr,backlog=4096 ` +
        `UNIX-CONNECT:${EGRESS_MOUNT}/${r.socketName} </dev/null >/dev/null 2>&1 &`,
    ),
    `w=0; until mapfile -t t </proc/net/tcp; ${listening.join(' && ')}; do`,
    "  ((++w < 100000)) || { echo 'dynamiq: the network relay did not start' >&2; exit 125; }",
    'done; unset w t',
  ];
}

export interface BwrapInvocation {
  /** Options read by bwrap from a pipe, so env values never show in the host's process list. */
  options: string[];
  /** What follows `--` on bwrap's command line. */
  command: string[];
}

/** Builds the bubblewrap invocation running `command` with `bash -c` in one sandbox. */
export function buildBwrapInvocation(
  opts: ResolvedLocalOptions,
  paths: SandboxPaths,
  etcEntries: string[],
  exec: { cwd: string; env: Record<string, string>; command: string; egress?: SandboxEgress },
): BwrapInvocation {
  const uid = String(SANDBOX_UID);
  // prettier-ignore
  const options = [
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
    // gcloud's token file lives on a tmpfs of this command alone: gone when it ends, even by
    // SIGKILL, never in the persistent home.
    '--perms', '0700', '--size', String(1024 * 1024), '--tmpfs', path.posix.dirname(GCP_TOKEN_PATH),
    '--bind', paths.work, WORK_DIR,
    ...opts.readOnlyBinds.flatMap((b) => ['--ro-bind', b.source, b.target]),
    ...(exec.egress ? ['--ro-bind', exec.egress.dir, EGRESS_MOUNT] : []),
    '--chdir', exec.cwd,
    '--clearenv',
    ...Object.entries(sandboxEnv(opts, exec.env, exec.egress !== undefined)).flatMap(([k, v]) => [
      '--setenv', k, v,
    ]),
  ];
  const init = sandboxInit(opts, exec.egress);
  const command = ['/bin/bash', '-c', init, 'sandbox-init', exec.command];
  return { options, command };
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

function sandboxEnv(
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
