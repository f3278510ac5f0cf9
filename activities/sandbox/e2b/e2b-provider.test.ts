import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeE2B } from '../../../test/fakes/e2b/server.js';
import type { FakeE2B } from '../../../test/fakes/e2b/server.js';
import {
  SandboxAbortedError,
  SandboxAuthError,
  SandboxConfigError,
  SandboxFileNotFoundError,
  SandboxFileTooLargeError,
  SandboxNotFoundError,
  SandboxUnavailableError,
} from '../errors.js';
import type { OutputChunk } from '../types.js';
import { E2BSandboxProvider } from './e2b-provider.js';
import type { E2BSandboxProviderOptions } from './options.js';
import { allGone, pidsRunning } from '../../../test/helpers/processes.js';

// The real e2b SDK against a local fake of E2B's API and envd (test/fakes/e2b).
let fake: FakeE2B;

function provider(extra: Partial<E2BSandboxProviderOptions> = {}) {
  return new E2BSandboxProvider({
    apiKey: fake.apiKey,
    templateId: 'dynamiq',
    apiUrl: fake.apiUrl,
    sandboxUrl: fake.sandboxUrl,
    lifetimeMs: 600_000,
    ...extra,
  });
}

beforeAll(async () => {
  fake = await startFakeE2B();
});

afterAll(async () => {
  await fake.close();
});

describe('E2BSandboxProvider against a fake E2B', () => {
  it('creates a sandbox from the template with the configured lifetime and metadata', async () => {
    const sbx = await provider().create({ metadata: { conversation: 'c1' } });
    const state = fake.sandboxes.get(sbx.id);
    expect(state?.templateId).toBe('dynamiq');
    expect(state?.metadata).toEqual({ conversation: 'c1' });
    expect(state?.lifetimes).toEqual([600]);
    await sbx.kill();
  });

  it('runs commands with env, cwd and stdin, streaming output', async () => {
    const sbx = await provider().create();
    await sbx.writeFile('/work/sub/.keep', '');
    const chunks: OutputChunk[] = [];
    const r = await sbx.exec('echo "$GREETING"; ls; cat; echo oops >&2; exit 3', {
      cwd: '/work/sub',
      env: { GREETING: 'hi there' },
      stdin: 'from stdin',
      onOutput: (c) => chunks.push(c),
    });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('hi there\nfrom stdin');
    expect(r.stderr).toBe('oops\n');
    expect(r.timedOut).toBe(false);
    expect(
      chunks
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.data)
        .join(''),
    ).toBe(r.stdout);
    await sbx.kill();
  });

  it('keeps head, tail and byte count of long output', async () => {
    const sbx = await provider({ output: { headBytes: 1024, tailBytes: 1024 } }).create();
    const n = 300_000;
    const r = await sbx.exec(`seq 1 ${n}`);
    let bytes = 0;
    for (let i = 1; i <= n; i++) bytes += String(i).length + 1;
    expect(r.totalBytes.stdout).toBe(bytes);
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(r.stdout.endsWith(`${n - 1}\n${n}\n`)).toBe(true);
    expect(r.stdout.length).toBeLessThan(2200);
    await sbx.kill();
  });

  it('kills the whole process tree on timeout and on abort', async () => {
    const sbx = await provider().create();
    const tag = 700_000 + Math.floor(Math.random() * 90_000);
    const timed = sbx.exec(`sleep ${tag} & setsid sleep ${tag + 1} & wait`, { timeoutMs: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await pidsRunning(`sleep ${tag + 1}`)).toHaveLength(1);
    const r = await timed;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(137);
    expect(await allGone(`sleep ${tag}`)).toBe(true);
    expect(await allGone(`sleep ${tag + 1}`)).toBe(true);

    const controller = new AbortController();
    const aborted = sbx.exec(`sleep ${tag + 2} & wait`, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort();
    await expect(aborted).rejects.toThrow(SandboxAbortedError);
    expect(await allGone(`sleep ${tag + 2}`)).toBe(true);

    const broken = sbx.exec(`echo first; sleep ${tag + 3}`, {
      onOutput: () => {
        throw new Error('consumer broke');
      },
    });
    await expect(broken).rejects.toThrow('consumer broke');
    expect(await allGone(`sleep ${tag + 3}`)).toBe(true);
    await sbx.kill();
  });

  it('writes, reads and lists files', async () => {
    const sbx = await provider({ maxReadFileBytes: 64 }).create();
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    await sbx.writeFile('data/blob.bin', bytes);
    await sbx.writeFile('data/big.txt', 'x'.repeat(100));
    expect(Buffer.compare(await sbx.readFile('/work/data/blob.bin'), bytes)).toBe(0);
    expect(await sbx.listFiles('data')).toEqual([
      { name: 'big.txt', path: '/work/data/big.txt', type: 'file', sizeBytes: 100 },
      { name: 'blob.bin', path: '/work/data/blob.bin', type: 'file', sizeBytes: 5 },
    ]);
    await expect(sbx.readFile('data/big.txt')).rejects.toThrow(SandboxFileTooLargeError);
    await expect(sbx.readFile('missing.txt')).rejects.toThrow(SandboxFileNotFoundError);
    await sbx.kill();
  });

  it('reconnects from a new provider and sets the lifetime again', async () => {
    const first = await provider().create();
    await first.writeFile('state.txt', 'kept');
    const again = await provider().connect(first.id);
    expect((await again.readFile('state.txt')).toString()).toBe('kept');
    // Create, then the connect request, then the explicit setTimeout after it.
    expect(fake.sandboxes.get(first.id)?.lifetimes).toEqual([600, 600, 600]);
    await again.kill();
    expect(fake.killed.has(first.id)).toBe(true);
    await expect(provider().connect(first.id)).rejects.toThrow(SandboxNotFoundError);
  });

  it('maps credential, network and config problems to sandbox errors', async () => {
    await expect(provider({ apiKey: 'e2b_wrong' }).create()).rejects.toThrow(SandboxAuthError);
    const offline = provider({ apiUrl: 'http://127.0.0.1:9', requestTimeoutMs: 2_000 });
    await expect(offline.create()).rejects.toThrow(SandboxUnavailableError);
    expect(() => provider({ apiKey: '' })).toThrow(SandboxConfigError);
    expect(() => provider({ apiUrl: 'not a url' })).toThrow(/apiUrl/);
  });
});
