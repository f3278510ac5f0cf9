import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SandboxConfigError,
  SandboxFileNotFoundError,
  SandboxFileTooLargeError,
  SandboxInputError,
  SandboxNotFoundError,
} from '../errors.js';
import { LocalSandboxProvider } from './local-provider.js';

let dataDir: string;
let root: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-files-'));
  await chmod(dataDir, 0o711);
  root = path.join(dataDir, 'sandboxes');
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('LocalSandbox files', () => {
  it('writes, reads and lists files, binary included', async () => {
    const sbx = await new LocalSandboxProvider({ root }).create();
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await sbx.writeFile('data/blob.bin', bytes);
    await sbx.writeFile('/home/user/notes.md', 'héllo\n');
    await sbx.exec('mkdir -p data/sub && ln -s blob.bin data/link');
    expect(Buffer.compare(await sbx.readFile('/work/data/blob.bin'), bytes)).toBe(0);
    expect((await sbx.readFile('/home/user/../user/notes.md')).toString()).toBe('héllo\n');
    expect((await sbx.exec('cat notes.md', { cwd: '/home/user' })).stdout).toBe('héllo\n');
    expect(await sbx.listFiles('data')).toEqual([
      { name: 'blob.bin', path: '/work/data/blob.bin', type: 'file', sizeBytes: 7 },
      { name: 'link', path: '/work/data/link', type: 'symlink', sizeBytes: 8 },
      { name: 'sub', path: '/work/data/sub', type: 'dir', sizeBytes: expect.any(Number) },
    ]);
    await sbx.kill();
  });

  it('reports missing files, folders read as files, and files over the read limit', async () => {
    const sbx = await new LocalSandboxProvider({ root, maxReadFileBytes: 1024 }).create();
    await sbx.writeFile('big.txt', 'x'.repeat(2048));
    await expect(sbx.readFile('nope.txt')).rejects.toThrow(SandboxFileNotFoundError);
    await expect(sbx.listFiles('nope')).rejects.toThrow(SandboxFileNotFoundError);
    await expect(sbx.readFile('/work')).rejects.toThrow(SandboxInputError);
    await expect(sbx.readFile('big.txt')).rejects.toThrow(SandboxFileTooLargeError);
    await expect(sbx.writeFile('/usr/evil', 'x')).rejects.toThrow(SandboxInputError);
    await sbx.kill();
  });

  it('resolves paths and symlinks inside the sandbox, never on the host', async () => {
    const secret = path.join(dataDir, 'master.key');
    await writeFile(secret, 'host secret', { mode: 0o600 });
    const sbx = await new LocalSandboxProvider({ root }).create();
    // A link planted by a command that points at a host path leads nowhere inside.
    await sbx.exec(`ln -s ${secret} key-link`);
    await expect(sbx.readFile('key-link')).rejects.toThrow(SandboxFileNotFoundError);
    await expect(sbx.readFile(secret)).rejects.toThrow(SandboxFileNotFoundError);
    await expect(sbx.readFile('../../../../../../..' + secret)).rejects.toThrow(
      SandboxFileNotFoundError,
    );
    await sbx.kill();
  });

  it('reaches the same sandbox and files after the provider is recreated', async () => {
    const first = await new LocalSandboxProvider({ root }).create({ metadata: { chat: 'c1' } });
    await first.writeFile('state.txt', 'kept');
    await first.exec('echo more >> ~/.history');

    const again = await new LocalSandboxProvider({ root }).connect(first.id);
    expect(again.id).toBe(first.id);
    expect((await again.readFile('state.txt')).toString()).toBe('kept');
    expect((await again.exec('cat ~/.history')).stdout).toBe('more\n');

    await again.kill();
    await expect(stat(path.join(root, first.id))).rejects.toThrow();
    await expect(new LocalSandboxProvider({ root }).connect(first.id)).rejects.toThrow(
      SandboxNotFoundError,
    );
    await expect(first.exec('true')).rejects.toThrow(SandboxNotFoundError);
  });

  it('refuses ids that are not its own format, so no id can walk out of the root', async () => {
    const provider = new LocalSandboxProvider({ root });
    for (const id of ['../etc', 'lsb-../../x', '', 'lsb-0123456789abcdeg']) {
      await expect(provider.connect(id)).rejects.toThrow(SandboxNotFoundError);
    }
  });

  it('rejects bad options with a message naming the field', async () => {
    expect(() => new LocalSandboxProvider({ root: 'relative/path' })).toThrow(/root/);
    expect(
      () =>
        new LocalSandboxProvider({ root, readOnlyBinds: [{ source: '/opt', target: '/work' }] }),
    ).toThrow(SandboxConfigError);
    expect(() => new LocalSandboxProvider({ root, limits: { maxProcesses: 0 } })).toThrow(
      /maxProcesses/,
    );
  });

  it('says how to fix a root the sandbox uid cannot reach', async () => {
    const closed = await mkdtemp(path.join(tmpdir(), 'dynamiq-closed-'));
    try {
      const provider = new LocalSandboxProvider({ root: path.join(closed, 'sandboxes') });
      // Only a root worker switches to a separate uid; as any other user the check is moot.
      if (process.getuid?.() === 0) {
        await expect(provider.create()).rejects.toThrow(`chmod o+x ${closed}`);
      } else {
        await expect(provider.create()).resolves.toBeDefined();
      }
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });
});
