import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxAbortedError, SandboxInputError } from '../errors.js';
import type { OutputChunk } from '../types.js';
import { LocalSandboxProvider } from './local-provider.js';
import { allGone, pidsRunning } from '../../../test/helpers/processes.js';

let dataDir: string;
let provider: LocalSandboxProvider;

/** A shell line leaving a sleeping grandchild and a setsid'd one, unique to this test run. */
function treeCommand(tag: number) {
  return `sleep ${tag} & setsid sleep ${tag + 1} & (sleep ${tag + 2} &) ; wait`;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-exec-'));
  await chmod(dataDir, 0o711);
  provider = new LocalSandboxProvider({ root: path.join(dataDir, 'sandboxes') });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('LocalSandbox.exec', () => {
  it('returns exit code and both streams, with env, cwd and stdin applied', async () => {
    const sbx = await provider.create();
    await sbx.exec('mkdir -p sub');
    const chunks: OutputChunk[] = [];
    const r = await sbx.exec('pwd; echo "$GREETING"; cat; echo oops >&2; exit 3', {
      cwd: 'sub',
      env: { GREETING: 'hi there' },
      stdin: 'from stdin',
      onOutput: (c) => chunks.push(c),
    });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('/work/sub\nhi there\nfrom stdin');
    expect(r.stderr).toBe('oops\n');
    expect(r.truncated).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.totalBytes).toEqual({ stdout: 29, stderr: 5 });
    expect(
      chunks
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.data)
        .join(''),
    ).toBe(r.stdout);
    expect(
      chunks
        .filter((c) => c.stream === 'stderr')
        .map((c) => c.data)
        .join(''),
    ).toBe('oops\n');
    await sbx.kill();
  });

  it('rejects malformed options before running anything', async () => {
    const sbx = await provider.create();
    await expect(sbx.exec('true', { env: { 'BAD-NAME': 'x' } })).rejects.toThrow(SandboxInputError);
    await expect(sbx.exec('true', { timeoutMs: -1 })).rejects.toThrow(SandboxInputError);
    await expect(sbx.exec('')).rejects.toThrow(SandboxInputError);
    await expect(sbx.exec('true', { cwd: '/work/missing' })).rejects.toThrow(/working folder/);
    await sbx.kill();
  });

  it('kills the command and rejects with the error when onOutput throws', async () => {
    const sbx = await provider.create();
    const tag = 600_000 + Math.floor(Math.random() * 90_000);
    const run = sbx.exec(`echo first; sleep ${tag}`, {
      onOutput: () => {
        throw new Error('consumer broke');
      },
    });
    await expect(run).rejects.toThrow('consumer broke');
    expect(await allGone(`sleep ${tag}`)).toBe(true);
    await sbx.kill();
  });

  it('kills the whole process tree on timeout', async () => {
    const sbx = await provider.create();
    const tag = 900_000 + Math.floor(Math.random() * 90_000);
    const run = sbx.exec(treeCommand(tag), { timeoutMs: 2_500 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const t of [tag, tag + 1, tag + 2])
      expect(await pidsRunning(`sleep ${t}`)).toHaveLength(1);
    const r = await run;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(137);
    expect(r.durationMs).toBeLessThan(5_000);
    for (const t of [tag, tag + 1, tag + 2]) expect(await allGone(`sleep ${t}`)).toBe(true);
    await sbx.kill();
  });

  it('kills the whole process tree when the signal aborts', async () => {
    const sbx = await provider.create();
    const tag = 800_000 + Math.floor(Math.random() * 90_000);
    const controller = new AbortController();
    const run = sbx.exec(treeCommand(tag), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const t of [tag, tag + 1, tag + 2])
      expect(await pidsRunning(`sleep ${t}`)).toHaveLength(1);
    controller.abort();
    await expect(run).rejects.toThrow(SandboxAbortedError);
    for (const t of [tag, tag + 1, tag + 2]) expect(await allGone(`sleep ${t}`)).toBe(true);
    await expect(sbx.exec('true', { signal: AbortSignal.abort() })).rejects.toThrow(
      SandboxAbortedError,
    );
    await sbx.kill();
  });

  it('keeps the head, the tail and the byte count of 10 MB of output', async () => {
    const sbx = await provider.create();
    const n = 1_500_000;
    const r = await sbx.exec(`seq 1 ${n}; echo done >&2`);
    let expectedBytes = 0;
    for (let i = 1; i <= n; i++) expectedBytes += String(i).length + 1;
    expect(expectedBytes).toBeGreaterThan(10_000_000);
    expect(r.totalBytes.stdout).toBe(expectedBytes);
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('1\n2\n3\n4\n')).toBe(true);
    expect(r.stdout.endsWith(`${n - 1}\n${n}\n`)).toBe(true);
    expect(r.stdout).toMatch(/\n\[\.\.\. \d+ bytes omitted \.\.\.\]\n/);
    expect(r.stdout.length).toBeLessThan(70 * 1024);
    expect(r.stderr).toBe('done\n');
    await sbx.kill();
  });

  it('runs ten sandboxes at once, each seeing only its own files', async () => {
    const sandboxes = await Promise.all(Array.from({ length: 10 }, () => provider.create()));
    await Promise.all(sandboxes.map((s) => s.writeFile('me.txt', s.id)));
    const started = Date.now();
    const results = await Promise.all(sandboxes.map((s) => s.exec('sleep 1; cat me.txt')));
    // Ten one-second commands finishing well under ten seconds ran side by side.
    expect(Date.now() - started).toBeLessThan(5_000);
    results.forEach((r, i) => expect(r.stdout).toBe(sandboxes[i]?.id));
    await Promise.all(sandboxes.map((s) => s.kill()));
  });
});
