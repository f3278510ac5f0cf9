import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSandboxProvider } from './local-provider.js';
import type { LocalSandboxProviderOptions } from './options.js';

const CANARY = `canary-${Date.now()}`;
const templateBin = fileURLToPath(new URL('../../../e2b-template/bin', import.meta.url));
let dataDir: string;
let root: string;

function provider(extra: Partial<LocalSandboxProviderOptions> = {}) {
  return new LocalSandboxProvider({ root, ...extra });
}

beforeAll(async () => {
  // Set before any provider exists: nothing of the worker's env may reach a sandbox.
  process.env.DYNAMIQ_TEST_CANARY = CANARY;
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-iso-'));
  await chmod(dataDir, 0o711);
  root = path.join(dataDir, 'sandboxes');
  await writeFile(path.join(dataDir, 'master.key'), CANARY, { mode: 0o600 });
});

afterAll(async () => {
  delete process.env.DYNAMIQ_TEST_CANARY;
  await rm(dataDir, { recursive: true, force: true });
});

describe('local sandbox isolation, seen from inside', () => {
  it('runs as uid 1000 without capabilities, and cannot make new namespaces', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec(
      'id -u; id -g; grep CapEff /proc/self/status; unshare -U true; echo $?',
    );
    const [uid, gid, caps, unshareExit] = r.stdout.trim().split('\n');
    expect([uid, gid]).toEqual(['1000', '1000']);
    expect(caps).toMatch(/CapEff:\s+0000000000000000/);
    expect(unshareExit).not.toBe('0');
    await sbx.kill();
  });

  it('does not pass the host environment in', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec('env; echo "canary=${DYNAMIQ_TEST_CANARY:-unset}"');
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stdout).toContain('canary=unset');
    expect(r.stdout).toContain('HOME=/home/user');
    await sbx.kill();
  });

  it('leaves none of the worker environment in the host-side processes that run it', async () => {
    // The outer bwrap (and the launch shell) are host processes: an environment they
    // inherited (the master key, database passwords) would be readable in /proc/<pid>/environ.
    const sbx = await provider().create();
    await sbx.exec('true');
    const leaking: string[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
      if (!environ.includes(CANARY)) continue;
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
      if (/bwrap|sandbox-launch|exec-server/.test(cmdline))
        leaking.push(cmdline.replaceAll('\0', ' '));
    }
    await sbx.kill();
    expect(leaking).toEqual([]);
  });

  it('shows only its own folders at the top, and none of the data folder or /root', async () => {
    const sbx = await provider().create();
    const keyPath = path.join(dataDir, 'master.key');
    const r = await sbx.exec(`ls -A /; cat ${keyPath}; echo "key=$?"; ls -A /root; echo "root=$?"`);
    const top = r.stdout.split('\n').slice(0, 11);
    // /run holds only the exec server (its program, its socket) and the egress proxy's sockets.
    expect(top).toEqual([
      'bin',
      'dev',
      'etc',
      'home',
      'lib',
      'lib64',
      'proc',
      'run',
      'sbin',
      'tmp',
      'usr',
    ]);
    expect(r.stdout).toMatch(/^work$/m);
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stdout).toMatch(/key=[1-9]/);
    expect(r.stdout).toMatch(/root=[1-9]/);
    // The host really has both, so their absence inside is the sandbox's doing.
    expect((await readdir('/root')).length).toBeGreaterThan(0);
    expect(await readFile(keyPath, 'utf8')).toBe(CANARY);
    await sbx.kill();
  });

  it('keeps host secrets in /etc out', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec('ls -A /etc; cat /etc/passwd');
    expect(r.stdout).not.toMatch(/^(shadow|ssh|sudoers)$/m);
    expect(r.stdout).toMatch(/^ssl$/m);
    expect(r.stdout).toContain('user:x:1000:1000');
    expect(r.stdout).not.toContain('/home/cloudsdk');
    await sbx.kill();
  });

  it("cannot see another sandbox's files", async () => {
    const p = provider();
    const [a, b] = [await p.create(), await p.create()];
    await a.writeFile('secret-a.txt', CANARY);
    const hostPath = path.join(root, a.id, 'work', 'secret-a.txt');
    const r = await b.exec(
      `cat ${hostPath}; ls ${root}; find / \\( -path /proc -o -path /usr \\) -prune -o -name secret-a.txt -print`,
    );
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stdout).not.toContain('secret-a.txt');
    expect((await a.readFile('secret-a.txt')).toString()).toBe(CANARY);
    await Promise.all([a.kill(), b.kill()]);
  });

  it('passes no file descriptor beyond stdio to the command', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec('ls /proc/self/fd');
    // 3 is the folder handle ls itself opened to list the folder.
    expect(r.stdout.trim().split('\n')).toEqual(['0', '1', '2', '3']);
    await sbx.kill();
  });

  it('keeps /usr read-only and /work, home and /tmp writable', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec(
      'touch /usr/x 2>/dev/null; echo usr=$?; touch /work/x ~/x /tmp/x; echo rest=$?',
    );
    expect(r.stdout).toContain('usr=1');
    expect(r.stdout).toContain('rest=0');
    await sbx.kill();
  });

  it('binds extra folders read-only and puts them on PATH', async () => {
    const sbx = await provider({
      readOnlyBinds: [{ source: templateBin, target: '/opt/dynamiq/bin', onPath: true }],
    }).create();
    const r = await sbx.exec(
      'echo $PATH; ls /opt/dynamiq/bin; touch /opt/dynamiq/bin/x; echo w=$?',
    );
    expect(r.stdout).toMatch(/^\/opt\/dynamiq\/bin:/);
    expect(r.stdout).toContain('README.md');
    expect(r.stdout).toMatch(/w=[1-9]/);
    await sbx.kill();
  });

  it('reaches the host loopback only with network "shared", never with "proxied" or "none"', async () => {
    const server = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
    try {
      const proxied = await provider().create();
      const none = await provider({ network: 'none' }).create();
      const shared = await provider({ network: 'shared' }).create();
      expect((await proxied.exec(probe)).stdout).not.toContain('pong');
      const offline = await none.exec(`${probe}; echo; env | grep -ci _proxy=`);
      expect(offline.stdout).not.toContain('pong');
      expect(offline.stdout.trim()).toBe('0');
      expect((await shared.exec(probe)).stdout).toContain('pong');
      await Promise.all([proxied.kill(), none.kill(), shared.kill()]);
    } finally {
      server.close();
    }
  });

  it('makes the sandbox folder unreadable for other host users', async () => {
    const sbx = await provider().create();
    expect((await stat(path.join(root, sbx.id))).mode & 0o777).toBe(0o711);
    expect((await stat(path.join(root, sbx.id, 'sandbox.json'))).mode & 0o777).toBe(0o600);
    await sbx.kill();
  });
});
