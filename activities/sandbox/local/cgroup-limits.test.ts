import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups } from './cgroups.js';
import { LocalSandboxProvider } from './local-provider.js';
import { allGone } from '../../../test/helpers/processes.js';

// Limits of a sandbox as a whole (cgroups), on top of the per-process rlimits of limits.test.ts.
const MiB = 1024 * 1024;
let dataDir: string;
let provider: LocalSandboxProvider;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-cgroup-'));
  await chmod(dataDir, 0o711);
  provider = new LocalSandboxProvider({
    root: path.join(dataDir, 'sandboxes'),
    network: 'none',
    sandboxLimits: { memoryBytes: 256 * MiB, maxProcesses: 48, cpus: 1 },
  });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('per-sandbox limits by cgroup', () => {
  it('says at start-up which limits are in force', async () => {
    const support = await detectCgroups();
    const line = await provider.limitsInForce();
    if (support.kind === 'none') expect(line).toContain('per-process rlimits only');
    else
      expect(line).toMatch(
        /^per-sandbox limits by cgroup v[12]: 256 MiB memory, 48 processes, 1 CPU/,
      );
  });

  it('OOM-kills a memory hog at the sandbox limit, counting all its processes together', async () => {
    const support = await detectCgroups();
    expect(support.kind).not.toBe('none');
    const sbx = await provider.create();
    // Each hog alone fits under the per-process limit (4 GiB) and even under the sandbox's;
    // two of them together do not.
    const hog = `python3 -c "b = b'x' * (180 << 20); import time; time.sleep(3)"`;
    const r = await sbx.exec(
      `${hog} & a=$!; ${hog} & b=$!; wait $a; echo "a=$?"; wait $b; echo "b=$?"`,
      {
        timeoutMs: 60_000,
      },
    );
    const codes = [...r.stdout.matchAll(/[ab]=(\d+)/g)].map((m) => Number(m[1]));
    expect(codes).toHaveLength(2);
    expect(codes).toContain(137);
    const big = await sbx.exec(`python3 -c "b = b'x' * (1 << 30)"`, { timeoutMs: 60_000 });
    expect(big.exitCode).toBe(137);
    expect((await sbx.exec('echo alive')).stdout).toBe('alive\n');
    if (support.kind === 'v1') {
      const dir = path.join(support.roots.memory, sbx.id);
      expect(Number(await readFile(path.join(dir, 'memory.limit_in_bytes'), 'utf8'))).toBe(
        256 * MiB,
      );
      expect(
        Number(await readFile(path.join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
      ).toBeLessThanOrEqual(256 * MiB);
    }
    await sbx.kill();
    if (support.kind === 'v1')
      expect(existsSync(path.join(support.roots.memory, sbx.id))).toBe(false);
  });

  it('stops a fork bomb at the sandbox process limit', async () => {
    const sbx = await provider.create();
    const r = await sbx.exec(
      `python3 -c '
import os, subprocess, time
subprocess.Popen(["bash", "-c", ":(){ :|:& };:"], stderr=subprocess.DEVNULL)
time.sleep(3)
print(len([p for p in os.listdir("/proc") if p.isdigit()]))
'`,
      { timeoutMs: 30_000 },
    );
    const inside = Number(r.stdout.trim());
    expect(inside).toBeGreaterThan(10);
    // 48 for the whole sandbox, below the per-process rlimit of 256.
    expect(inside).toBeLessThanOrEqual(48);
    expect(await allGone('bash -c :(){ :|:& };:')).toBe(true);
    expect((await sbx.exec('echo alive')).stdout).toBe('alive\n');
    await sbx.kill();
  });
});
