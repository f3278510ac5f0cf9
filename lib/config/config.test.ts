import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultSandboxDir, loadConfig } from './index.js';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration from the environment', () => {
  it('starts on embedded defaults with nothing set', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(path.resolve('/srv/app/.dynamiq'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      taskQueue: 'dynamiq',
      tls: false,
    });
    expect(config.llm.configured).toBe(false);
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        PUBLIC_URL: 'https://dynamiq.example.com/',
        DYNAMIQ_DATA_DIR: '/var/lib/dynamiq',
        DATABASE_URL: 'postgresql://u:p@db:5432/dynamiq',
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'temporal-key',
        LLM_BASE_URL: 'http://localhost:11434/v1',
        LLM_MODEL: 'llama3.1',
        DYNAMIQ_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      },
      '/srv/app',
    );
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('https://dynamiq.example.com');
    expect(config.dataDir).toBe('/var/lib/dynamiq');
    expect(config.temporal).toMatchObject({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      tls: true,
    });
    expect(config.llm).toMatchObject({
      baseUrl: 'http://localhost:11434/v1',
      model: 'llama3.1',
      configured: true,
    });
  });

  it('names each malformed variable and what it expects, in one line each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      TEMPORAL_ADDRESS: 'http://temporal',
      LLM_BASE_URL: 'not a url',
      DYNAMIQ_MASTER_KEY: 'c2hvcnQ=',
      DYNAMIQ_API_TOKEN: 'short',
    });
    expect(problems).toHaveLength(6);
    expect(problems.find((p) => p.startsWith('PORT '))).toContain('"eighty"');
    expect(problems.find((p) => p.startsWith('DATABASE_URL '))).toContain('postgresql://');
    expect(problems.find((p) => p.startsWith('TEMPORAL_ADDRESS '))).toContain('host:port');
    expect(problems.find((p) => p.startsWith('LLM_BASE_URL '))).toContain('URL');
    expect(problems.find((p) => p.startsWith('DYNAMIQ_MASTER_KEY '))).toContain('32 bytes');
    for (const p of problems) expect(p).not.toContain('\n');
  });

  it('never echoes a secret value in an error', () => {
    const problems = problemsOf({
      DYNAMIQ_API_TOKEN: 'tiny-secret',
      DATABASE_URL: 'mysql://user:pw@h/db',
    });
    expect(problems.join('\n')).not.toMatch(/tiny-secret|pw@h/);
    expect(problems.join('\n')).toContain('hidden');
  });

  it('wants TLS client certificate and key together', () => {
    expect(problemsOf({ TEMPORAL_TLS_CERT_PATH: '/etc/tls/client.pem' })).toEqual([
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
    ]);
  });
});

describe("the local sandboxes' folder", () => {
  const isInside = (child: string, parent: string) =>
    !path.relative(parent, child).startsWith('..') &&
    !path.isAbsolute(path.relative(parent, child));

  it('defaults beside the data folder, not inside it, with the old place kept as a fallback', () => {
    const config = loadConfig({ DYNAMIQ_DATA_DIR: '/var/lib/dynamiq/' }, '/srv/app');
    expect(config.sandbox.dir).toBe('/var/lib/dynamiq-sandboxes');
    expect(isInside(config.sandbox.dir, config.dataDir)).toBe(false);
    expect(config.sandbox.legacyDir).toBe('/var/lib/dynamiq/sandboxes');
    // The embedded default data folder, relative to the working folder.
    expect(loadConfig({}, '/srv/app').sandbox.dir).toBe('/srv/app/.dynamiq-sandboxes');
    expect(defaultSandboxDir('/')).toBe('/dynamiq-sandboxes');
  });

  it('is exactly SANDBOX_DIR when set, with no fallback', () => {
    const config = loadConfig({ SANDBOX_DIR: 'sbx', DYNAMIQ_DATA_DIR: '/d' }, '/srv/app');
    expect(config.sandbox).toMatchObject({ dir: '/srv/app/sbx', legacyDir: undefined });
  });
});
