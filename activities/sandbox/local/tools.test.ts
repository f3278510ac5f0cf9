import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSandbox } from './local-sandbox.js';
import { LocalSandboxProvider } from './local-provider.js';

// The host's real CLIs (Debian's gh and awscli, Google's gcloud and kubectl) must work in a
// sandbox that sees only /usr and a few /etc entries: certificates, linker cache, python.
let dataDir: string;
let sbx: LocalSandbox;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-tools-'));
  await chmod(dataDir, 0o711);
  sbx = await new LocalSandboxProvider({ root: path.join(dataDir, 'sandboxes') }).create();
});

afterAll(async () => {
  await sbx.kill();
  await rm(dataDir, { recursive: true, force: true });
});

describe('cloud CLIs inside a local sandbox', () => {
  it('runs gh', async () => {
    const r = await sbx.exec('gh --version');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^gh version \d+\.\d+/);
  });

  it('runs the AWS CLI', async () => {
    const r = await sbx.exec('/usr/bin/aws --version');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/aws-cli\/\d+\.\d+/);
  });

  it('runs gcloud', async () => {
    const r = await sbx.exec('gcloud --version', { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Google Cloud SDK \d+/);
  });

  it('runs kubectl', async () => {
    const r = await sbx.exec('kubectl version --client');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Client Version: v\d+\.\d+/);
  });

  it('can read the system CA bundle TLS clients verify with', async () => {
    const r = await sbx.exec('head -n 1 /etc/ssl/certs/ca-certificates.crt');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('-----BEGIN CERTIFICATE-----\n');
  });
});
