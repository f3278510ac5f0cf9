import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  SandboxConfigError,
  SandboxInputError,
  SandboxNotFoundError,
  SandboxUnavailableError,
} from '../errors.js';
import type { CreateSandboxOptions, SandboxProvider } from '../types.js';
import { presentEtcEntries, SANDBOX_UID } from './bwrap-args.js';
import type { SandboxPaths } from './bwrap-args.js';
import { describeCgroups, detectCgroups } from './cgroups.js';
import { DISK_MOUNT, createDisk, hasDisk, mountDisk, unmountDisk } from './disk.js';
import type { CgroupSupport } from './cgroups.js';
import { EXEC_SERVER_FILES } from './exec-server.js';
import { LocalSandbox } from './local-sandbox.js';
import { resolveLocalOptions } from './options.js';
import type { LocalSandboxProviderOptions, ResolvedLocalOptions } from './options.js';

export const ID_PATTERN = /^lsb-[0-9a-f]{16}$/;

// The record is read back from disk after restarts, so it is validated like any input.
const recordSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  createdAt: z.string(),
  metadata: z.record(z.string(), z.string()),
});

const PASSWD = [
  'root:x:0:0:root:/root:/usr/sbin/nologin',
  `user:x:${SANDBOX_UID}:${SANDBOX_UID}:user:/home/user:/bin/bash`,
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
].join('\n');
const GROUP = ['root:x:0:', `user:x:${SANDBOX_UID}:`, 'nogroup:x:65534:'].join('\n');

/**
 * Sandboxes on this machine with bubblewrap. Each lives in `<root>/<id>/` (home, work, its
 * own passwd) and runs as one set of namespaces with a resident exec server, started by
 * `create` and held by this worker; its sockets are in `<egress.socketDir>/<id>/`. The folder
 * survives worker restarts: `connect(id)` reaches the live server, or starts the sandbox
 * again over the folder when the server is gone. Needs bubblewrap, bash and user namespaces
 * enabled (the Debian default).
 */
export class LocalSandboxProvider implements SandboxProvider {
  private readonly opts: ResolvedLocalOptions;
  private readonly etcEntries = presentEtcEntries();
  private ready: Promise<void> | undefined;
  private cgroupSupport: CgroupSupport = { kind: 'none', reason: 'not checked yet' };

  constructor(options: LocalSandboxProviderOptions) {
    this.opts = resolveLocalOptions(options);
  }

  async create(options: CreateSandboxOptions = {}): Promise<LocalSandbox> {
    await this.prepare();
    const metadata = z.record(z.string(), z.string()).safeParse(options.metadata ?? {});
    if (!metadata.success) {
      throw new SandboxInputError('Sandbox metadata must map strings to strings.');
    }
    const id = `lsb-${randomBytes(8).toString('hex')}`;
    const dir = path.join(this.opts.root, id);
    // Traversable but not listable: bwrap, running as the sandbox uid, must reach the
    // folders it binds, while nobody else learns which sandboxes exist.
    await mkdir(dir, { mode: 0o711 });
    if (this.opts.diskBytes > 0) {
      try {
        await createDisk(dir, this.opts.diskBytes);
      } catch (err) {
        await unmountDisk(dir).catch(() => {});
        await rm(dir, { recursive: true, force: true });
        throw new SandboxUnavailableError(
          `Cannot create the sandbox's ${this.opts.diskBytes}-byte filesystem (${String(err)}); ` +
            'it needs loop devices and mkfs.ext4, or set diskBytes to 0 (SANDBOX_DISK_MB=0).',
          { cause: err },
        );
      }
    }
    const paths = this.pathsOf(id);
    await mkdir(path.dirname(paths.passwd), { mode: 0o755 });
    await writeFile(paths.passwd, `${PASSWD}\n`, { mode: 0o644 });
    await writeFile(paths.group, `${GROUP}\n`, { mode: 0o644 });
    for (const dir of [paths.home, paths.work]) {
      await mkdir(dir, { mode: 0o700 });
      if (this.opts.hostUid !== undefined) await chown(dir, this.opts.hostUid, this.opts.hostUid);
    }
    const record = { id, createdAt: new Date().toISOString(), metadata: metadata.data };
    await writeFile(path.join(paths.dir, 'sandbox.json'), JSON.stringify(record), { mode: 0o600 });
    const sandbox = new LocalSandbox(id, this.opts, paths, this.etcEntries, this.cgroupSupport);
    try {
      await sandbox.ensureServer();
    } catch (err) {
      await sandbox.kill().catch(() => {});
      throw err;
    }
    return sandbox;
  }

  async connect(id: string): Promise<LocalSandbox> {
    // The id becomes a path: anything but our own format could walk out of the root.
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new SandboxNotFoundError(String(id));
    await this.prepare();
    const paths = this.pathsOf(id);
    let raw: string;
    try {
      raw = await readFile(path.join(paths.dir, 'sandbox.json'), 'utf8');
    } catch (err) {
      throw new SandboxNotFoundError(id, undefined, { cause: err });
    }
    const record = recordSchema.safeParse(parseJson(raw));
    if (!record.success || record.data.id !== id) {
      throw new SandboxNotFoundError(id, `Sandbox ${id} has a damaged record; create a new one.`);
    }
    // After a host restart the image is there but no longer mounted.
    if (hasDisk(paths.dir)) await mountDisk(paths.dir);
    // A live exec server is reused; one that is gone (the worker restarted) is started again.
    const sandbox = new LocalSandbox(id, this.opts, paths, this.etcEntries, this.cgroupSupport);
    await sandbox.ensureServer();
    return sandbox;
  }

  /** One line for the start-up log: which limits are in force on this host. */
  async limitsInForce(): Promise<string> {
    await this.prepare();
    return describeCgroups(this.cgroupSupport, this.opts.sandboxLimits);
  }

  private pathsOf(id: string): SandboxPaths {
    const dir = path.join(this.opts.root, id);
    const data = hasDisk(dir) ? path.join(dir, DISK_MOUNT) : dir;
    return {
      dir,
      home: path.join(data, 'home'),
      work: path.join(data, 'work'),
      passwd: path.join(dir, 'etc', 'passwd'),
      group: path.join(dir, 'etc', 'group'),
      run: path.join(this.opts.egress.socketDir, id),
    };
  }

  /** Checks the host once per provider: bubblewrap exists and the root is reachable. */
  private prepare(): Promise<void> {
    this.ready ??= this.checkHost().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async checkHost(): Promise<void> {
    try {
      await access(this.opts.bwrapPath, fsConstants.X_OK);
    } catch (err) {
      throw new SandboxUnavailableError(
        `${this.opts.bwrapPath} is missing; install bubblewrap (apt-get install bubblewrap).`,
        { cause: err },
      );
    }
    try {
      await access(EXEC_SERVER_FILES.script, fsConstants.R_OK);
    } catch (err) {
      throw new SandboxUnavailableError(
        `${EXEC_SERVER_FILES.script} is missing: each local sandbox runs its commands through ` +
          'it (it ships in e2b-template/bin).',
        { cause: err },
      );
    }
    this.cgroupSupport = this.opts.cgroups
      ? await detectCgroups()
      : { kind: 'none', reason: 'cgroups turned off' };
    await mkdir(this.opts.root, { recursive: true, mode: 0o711 });
    if (this.opts.hostUid === undefined) return;
    await chmod(this.opts.root, 0o711);
    await assertTraversable(this.opts.root, this.opts.hostUid);
  }
}

/** bwrap runs as `uid`, so every folder above the sandboxes must let that uid pass through. */
async function assertTraversable(root: string, uid: number): Promise<void> {
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const st = await stat(dir);
    const passes = (st.mode & 0o001) !== 0 || (st.uid === uid && (st.mode & 0o100) !== 0);
    if (!passes) {
      throw new SandboxConfigError(
        `The sandbox uid ${uid} cannot reach ${root}: ${dir} lacks the o+x bit. ` +
          `Run chmod o+x ${dir} (lets it pass through, not list or read), or put the root elsewhere.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
