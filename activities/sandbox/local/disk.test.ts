import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmountDisk } from './disk.js';
import { LocalSandboxProvider } from './local-provider.js';

// Each sandbox's home and /work on a filesystem of its own (a loop-mounted sparse image).
const MiB = 1024 * 1024;
let dataDir: string;
let provider: LocalSandboxProvider;

const mounted = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-disk-'));
  await chmod(dataDir, 0o711);
  provider = new LocalSandboxProvider({
    root: path.join(dataDir, 'sandboxes'),
    network: 'none',
    diskBytes: 64 * MiB,
  });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('a sandbox filesystem of bounded size', () => {
  it('gives a disk filler ENOSPC, in /work and home alike, while the disk under it keeps working', async () => {
    const sbx = await provider.create();
    const r = await sbx.exec(
      'head -c 100M /dev/zero > /work/big; echo "work=$?"; head -c 1M /dev/zero > ~/more; echo "home=$?"; df -k /work | tail -1',
    );
    expect(r.stdout).toMatch(/work=[1-9]/);
    expect(r.stdout).toMatch(/home=[1-9]/);
    expect(r.stderr).toContain('No space left on device');
    // The host side of the data folder is another filesystem with room to spare.
    await writeFile(path.join(dataDir, 'still-writable'), 'x'.repeat(4 * MiB));
    // Freed space is usable again.
    const after = await sbx.exec('rm /work/big && echo ok > /work/small && cat /work/small');
    expect(after.stdout).toBe('ok\n');
    await sbx.kill();
    expect(existsSync(path.join(dataDir, 'sandboxes', sbx.id))).toBe(false);
  });

  it('mounts the image again on connect after a restart, with its files, and unmounts it on kill', async () => {
    const sbx = await provider.create();
    await sbx.writeFile('/work/kept.txt', 'kept');
    const dir = path.join(dataDir, 'sandboxes', sbx.id);
    expect(mounted(path.join(dir, 'fs'))).toBe(true);
    await unmountDisk(dir);
    expect(mounted(path.join(dir, 'fs'))).toBe(false);
    const again = await provider.connect(sbx.id);
    expect((await again.readFile('/work/kept.txt')).toString()).toBe('kept');
    await again.kill();
    expect(mounted(path.join(dir, 'fs'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
