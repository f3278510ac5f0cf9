import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSandboxProvider } from './local-provider.js';
import { allGone, pidsRunning } from '../../../test/helpers/processes.js';

const MiB = 1024 * 1024;
let dataDir: string;
let provider: LocalSandboxProvider;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-limits-'));
  await chmod(dataDir, 0o711);
  provider = new LocalSandboxProvider({
    root: path.join(dataDir, 'sandboxes'),
    limits: { maxProcesses: 64, memoryBytes: 512 * MiB, cpuSeconds: 2, tmpBytes: 8 * MiB },
  });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('local sandbox limits', () => {
  it('caps the number of processes a command can have', async () => {
    const sbx = await provider.create();
    // python forks without bash's retry-with-backoff, so each refused fork shows at once.
    const r = await sbx.exec(
      `python3 -c '
import os, time
n = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    n += 1
print(n)
'`,
      { timeoutMs: 20_000 },
    );
    const forked = Number(r.stdout.trim());
    expect(forked).toBeGreaterThan(10);
    expect(forked).toBeLessThan(64);
    await sbx.kill();
  });

  it('stops a fork bomb without harming the host', async () => {
    const sbx = await provider.create();
    // python starts the bomb, then counts the sandbox's processes without forking itself.
    const bomb = sbx.exec(
      `python3 -c '
import os, subprocess, time
subprocess.Popen(["bash", "-c", ":(){ :|:& };:"], stderr=subprocess.DEVNULL)
time.sleep(3)
print(len([p for p in os.listdir("/proc") if p.isdigit()]))
'`,
      { timeoutMs: 20_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Mid-bomb, the host still starts processes at once.
    const hostStarted = Date.now();
    execFileSync('/bin/true');
    expect(Date.now() - hostStarted).toBeLessThan(2_000);
    expect((await pidsRunning('bash -c :(){ :|:& };:')).length).toBeGreaterThan(10);
    const r = await bomb;
    const inside = Number(r.stdout.trim());
    expect(inside).toBeGreaterThan(10);
    expect(inside).toBeLessThanOrEqual(64);
    // Every process of the bomb died with the command, and the sandbox still works.
    expect(await allGone('bash -c :(){ :|:& };:')).toBe(true);
    expect((await sbx.exec('echo alive')).stdout).toBe('alive\n');
    await sbx.kill();
  });

  it('stops memory hogs at the data (writable memory) limit', async () => {
    const sbx = await provider.create();
    const py = await sbx.exec('python3 -c "b = bytearray(2 * 1024 ** 3)"');
    expect(py.exitCode).not.toBe(0);
    expect(py.stderr).toContain('MemoryError');
    const dd = await sbx.exec('dd if=/dev/zero of=/dev/null bs=1G count=1');
    expect(dd.exitCode).not.toBe(0);
    expect(dd.stderr).toContain('memory exhausted');
    await sbx.kill();
  });

  it('kills a command past its CPU-time limit before the wall-clock timeout', async () => {
    const sbx = await provider.create();
    const r = await sbx.exec('while :; do :; done', { timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    // SIGXCPU at the soft limit or SIGKILL at the hard one, reported as 128 + signal.
    expect([128 + 24, 128 + 9]).toContain(r.exitCode);
    expect(r.durationMs).toBeLessThan(15_000);
    await sbx.kill();
  });

  it('sets hard limits the command cannot raise, and marks itself first to go on OOM', async () => {
    const sbx = await provider.create();
    const r = await sbx.exec(
      'ulimit -Hu; ulimit -Hd; ulimit -Ht; cat /proc/self/oom_score_adj; ulimit -u 100000 2>/dev/null; echo raise=$?',
    );
    expect(r.stdout.trim().split('\n')).toEqual(['64', String(512 * 1024), '2', '1000', 'raise=1']);
    await sbx.kill();
  });

  it('caps the private /tmp, which lives in host memory', async () => {
    const sbx = await provider.create();
    const r = await sbx.exec('head -c 20M /dev/zero > /tmp/big; echo rc=$?; du -m /tmp/big');
    expect(r.stdout).toMatch(/rc=[1-9]/);
    expect(r.stderr).toContain('No space left on device');
    await sbx.kill();
  });
});
