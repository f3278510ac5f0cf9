// The resident exec server of a local sandbox: many commands through one server, kills that
// leave nothing behind, bounded output, and workers that restart.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGone, pidsRunning } from '../../../test/helpers/processes.js';
import { SandboxAbortedError } from '../errors.js';
import { LocalSandboxProvider } from './local-provider.js';
import type { LocalSandboxProviderOptions } from './options.js';

let dataDir: string;

const provider = (extra: Partial<LocalSandboxProviderOptions> = {}) =>
  new LocalSandboxProvider({ root: path.join(dataDir, 'sandboxes'), ...extra });

/** The exec server as the command sees it: its parent, and that process's start time. */
const SERVER_IDENTITY = `echo "$PPID $(cut -d' ' -f22 /proc/$PPID/stat) $(tr '\\0' ' ' </proc/$PPID/cmdline | grep -c exec-server.mjs)"`;

const openFds = async () => (await readdir('/proc/self/fd')).length;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-execsrv-'));
  await chmod(dataDir, 0o711);
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the exec server of a local sandbox', () => {
  it('runs every command as a child of one resident server', async () => {
    const sbx = await provider().create();
    const first = (await sbx.exec(SERVER_IDENTITY)).stdout;
    expect(first).toMatch(/^\d+ \d+ 1\n$/);
    expect((await sbx.exec(SERVER_IDENTITY)).stdout).toBe(first);
    // Still pid 1's child, in the sandbox's own pid namespace.
    expect((await sbx.exec('cut -d" " -f4 /proc/$PPID/stat')).stdout).toBe('1\n');
    await sbx.kill();
  });

  it('runs 1,000 commands in one sandbox without leaking processes, descriptors or files', async () => {
    const sbx = await provider().create();
    // Warm up once, so lazily opened descriptors (the egress proxy's sockets) exist already.
    await sbx.exec('echo warm > /tmp/x; sleep 0 & true');
    const before = (await sbx.serverInfo())!;
    const hostFdsBefore = await openFds();
    for (let i = 0; i < 1000; i++) {
      // A child left in the background and a file in /tmp: both must go with each command.
      const r = await sbx.exec(`echo ${i}; sleep 30 & echo x > /tmp/f${i}`);
      expect(r.stdout).toBe(`${i}\n`);
    }
    const after = (await sbx.serverInfo())!;
    expect(after.pid).toBe(before.pid);
    expect(after.running).toBe(0);
    expect(after.processes).toBe(before.processes);
    expect(after.fds).toBe(before.fds);
    expect(await openFds()).toBeLessThanOrEqual(hostFdsBefore + 2);
    const r = await sbx.exec('ls -A /tmp | wc -l; ls /proc | grep -c "^[0-9]"');
    // No file left in /tmp; pid 1, the server, this bash and its two pipelines' processes.
    expect(r.stdout.split('\n')[0]).toBe('0');
    expect(Number(r.stdout.split('\n')[1])).toBeLessThanOrEqual(6);
    await sbx.kill();
  }, 180_000);

  it("kills a killed command's whole process group, and what left the group, on abort and on timeout", async () => {
    const sbx = await provider().create();
    const tag = 700_000 + Math.floor(Math.random() * 90_000);
    // Group members, a grandchild in its own session, one that cleared its environment too.
    const tree =
      `echo "pgid $(cut -d' ' -f5 /proc/$$/stat)"; sleep ${tag} & sleep ${tag + 1} & ` +
      `setsid sleep ${tag + 2} & setsid env -i /usr/bin/sleep ${tag + 3} & wait`;
    const controller = new AbortController();
    let pgid = '';
    const aborted = sbx.exec(tree, {
      signal: controller.signal,
      onOutput: (c) => {
        pgid = /pgid (\d+)/.exec(c.data)?.[1] ?? pgid;
      },
    });
    for (let i = 0; i < 100 && (await pidsRunning(`/usr/bin/sleep ${tag + 3}`)).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const group = await sbx.exec(
      `ps -eo pgid=,args= | awk '$1 == ${pgid} && $2 == "sleep"' | wc -l`,
    );
    expect(Number(group.stdout)).toBe(2);
    controller.abort();
    await expect(aborted).rejects.toThrow(SandboxAbortedError);
    for (const argv of [`sleep ${tag}`, `sleep ${tag + 1}`, `sleep ${tag + 2}`]) {
      expect(await allGone(argv), argv).toBe(true);
    }
    expect(await allGone(`/usr/bin/sleep ${tag + 3}`)).toBe(true);
    const left = await sbx.exec(`ps -eo pgid= | awk '$1 == ${pgid}' | wc -l`);
    expect(left.stdout.trim()).toBe('0');

    const timed = await sbx.exec(`sleep ${tag + 4} & setsid sleep ${tag + 5} & wait`, {
      timeoutMs: 1_000,
    });
    expect(timed).toMatchObject({ timedOut: true, exitCode: 137 });
    expect(await allGone(`sleep ${tag + 4}`)).toBe(true);
    expect(await allGone(`sleep ${tag + 5}`)).toBe(true);
    expect((await sbx.exec('echo alive')).stdout).toBe('alive\n');
    await sbx.kill();
  });

  it('keeps the head and the tail of output larger than the bound, and streams all of it', async () => {
    const sbx = await provider({ output: { headBytes: 1000, tailBytes: 500 } }).create();
    let streamed = 0;
    const r = await sbx.exec('seq 1 200000; echo end >&2', {
      onOutput: (c) => {
        if (c.stream === 'stdout') streamed += Buffer.byteLength(c.data);
      },
    });
    let total = 0;
    for (let i = 1; i <= 200_000; i++) total += String(i).length + 1;
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.totalBytes).toEqual({ stdout: total, stderr: 4 });
    expect(streamed).toBe(total);
    expect(r.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(r.stdout.endsWith('199999\n200000\n')).toBe(true);
    expect(r.stdout).toContain(`[... ${total - 1500} bytes omitted ...]`);
    expect(r.stderr).toBe('end\n');
    await sbx.kill();
  });

  it('is reached again by a new provider (a restarted worker) while it lives', async () => {
    const sbx = await provider().create();
    await sbx.writeFile('kept.txt', 'kept');
    const identity = (await sbx.exec(SERVER_IDENTITY)).stdout;
    const again = await provider().connect(sbx.id);
    expect((await again.exec(SERVER_IDENTITY)).stdout).toBe(identity);
    expect((await again.readFile('kept.txt')).toString()).toBe('kept');
    // Killing it through the new object stops the server the first one started.
    await again.kill();
    await expect(sbx.exec('true')).rejects.toThrow();
    expect(await sbx.serverInfo()).toBeUndefined();
  });

  it("never sends a command to another sandbox's server through a symlink planted inside", async () => {
    const [a, b] = await Promise.all([provider().create(), provider().create()]);
    await a.writeFile('who', 'a');
    await b.writeFile('who', 'b');
    // From inside b, its socket is replaced by a link to a's socket as the host names it.
    const planted = await b.exec(
      `rm /run/dynamiq/exec/exec.sock && ln -s ${a.socketPath} /run/dynamiq/exec/exec.sock && echo planted`,
    );
    expect(planted.stdout).toBe('planted\n');
    // The worker finds no server of b's behind the link, so b starts again, as b.
    expect((await b.exec('cat who')).stdout).toBe('b');
    expect((await a.exec('cat who')).stdout).toBe('a');
    await Promise.all([a.kill(), b.kill()]);
  });

  it('starts the sandbox again when the worker that held it exited', async () => {
    const root = path.join(dataDir, 'sandboxes');
    const script = path.join(dataDir, 'worker.mts');
    const providerModule = fileURLToPath(new URL('./local-provider.ts', import.meta.url));
    await writeFile(
      script,
      `import { LocalSandboxProvider } from ${JSON.stringify(providerModule)};\n` +
        `const sbx = await new LocalSandboxProvider({ root: ${JSON.stringify(root)} }).create();\n` +
        `await sbx.writeFile('from-old-worker.txt', 'hello');\n` +
        `const r = await sbx.exec('echo "$PPID $(cut -d" " -f22 /proc/$PPID/stat)"');\n` +
        `console.log(JSON.stringify({ id: sbx.id, identity: r.stdout }));\n` +
        'process.exit(0);\n',
    );
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    // Done when the old worker exits (not when every holder of its pipes has let go).
    const child = spawn(tsx, [script], { cwd: dataDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdout.on('error', () => {});
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const old = JSON.parse(stdout.trim().split('\n').at(-1)!) as { id: string; identity: string };
    // bwrap --die-with-parent: the old worker's sandbox died with it.
    const fresh = await provider().connect(old.id);
    const identity = (await fresh.exec('echo "$PPID $(cut -d" " -f22 /proc/$PPID/stat)"')).stdout;
    expect(identity).not.toBe(old.identity);
    expect((await fresh.readFile('from-old-worker.txt')).toString()).toBe('hello');
    expect((await fresh.exec('echo works')).stdout).toBe('works\n');
    await fresh.kill();
  }, 90_000);
});
