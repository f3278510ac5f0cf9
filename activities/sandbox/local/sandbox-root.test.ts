import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSandboxRoot } from './sandbox-root.js';

let base: string;
const dir = () => path.join(base, 'data-sandboxes');
const legacy = () => path.join(base, 'data', 'sandboxes');

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'dynamiq-root-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the folder the worker puts its sandboxes in', () => {
  it('is the new default on a fresh install, and when the old folder holds no sandbox', async () => {
    expect(chooseSandboxRoot(dir(), legacy())).toEqual({ root: dir(), legacy: false });
    await mkdir(path.join(legacy(), 'not-a-sandbox'), { recursive: true });
    expect(chooseSandboxRoot(dir(), legacy())).toEqual({ root: dir(), legacy: false });
  });

  it('stays in the old folder inside the data folder while sandboxes live there', async () => {
    await mkdir(path.join(legacy(), 'lsb-0123456789abcdef'), { recursive: true });
    expect(chooseSandboxRoot(dir(), legacy())).toEqual({ root: legacy(), legacy: true });
  });

  it('is SANDBOX_DIR whatever the old folder holds', () => {
    expect(chooseSandboxRoot(dir(), undefined)).toEqual({ root: dir(), legacy: false });
  });
});
