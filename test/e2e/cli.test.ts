import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const cleanEnv = () => {
  const env = { ...process.env };
  for (const k of Object.keys(env))
    if (/^(DATABASE_URL|TEMPORAL_|LLM_|DYNAMIQ_|PORT$)/.test(k)) delete env[k];
  return env;
};

/** `npm start` as a user runs it: embedded Temporal, the embedded PostgreSQL, its own data folder. */
async function startProduct(): Promise<{
  child: ChildProcess;
  url: string;
  dataDir: string;
  /** What it printed up to and including the start-up block. */
  stdout: string;
}> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-cli-'));
  // The data folder and the sandboxes' default folder beside it.
  dirs.push(dataDir, `${dataDir}-sandboxes`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
    env: { ...cleanEnv(), DYNAMIQ_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // The block's last row: the last chat platform not configured.
      if (/^Dynamiq is running[\s\S]*^ {2}Discord .*\n/m.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  const url = /^ {2}API and portal +(\S+)$/m.exec(stdout)![1]!;
  return { child, url, dataDir, stdout };
}

/** Processes whose command line mentions this data folder (the embedded Temporal server). */
async function processesUsing(dataDir: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes(dataDir) && l.includes('start-dev'));
}

describe('the dynamiq command', () => {
  it('runs two instances side by side on embedded defaults, and SIGTERM stops each cleanly', async () => {
    const [a, b] = await Promise.all([startProduct(), startProduct()]);
    expect(a.url).not.toBe(b.url);
    for (const p of [a, b]) {
      const ready = await fetch(`${p.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', temporal: 'ok' });
      const token = (await fs.readFile(path.join(p.dataDir, 'api-token'), 'utf8')).trim();
      const res = await fetch(`${p.url}/api/conversations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(await processesUsing(p.dataDir)).toHaveLength(1);

      // stdout is a pipe here, so the log lines are JSON; the block for a person comes last.
      const [logs, block] = p.stdout.split(/^(?=Dynamiq is running)/m);
      const lines = logs!.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(JSON.parse(line)).toHaveProperty('msg');
      expect(block).toMatch(
        new RegExp(`^ {2}API token +${path.join(p.dataDir, 'api-token')}$`, 'm'),
      );
      expect(block).toMatch(/^ {2}LLM +set LLM_API_KEY .* or LLM_BASE_URL /m);
      // The administrator's sign-in link, until they have signed in once.
      expect(block).toMatch(/^ {2}Sign in +http:\/\/localhost:0\/\S+\?token=\S+ {2}\(/m);
    }
    await fs.access(path.join(a.dataDir, 'temporal.db'));
    await fs.access(path.join(a.dataDir, 'postgres', 'data', 'PG_VERSION'));

    for (const p of [a, b]) {
      const exited = new Promise<number | null>((resolve) => p.child.once('exit', resolve));
      p.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await processesUsing(p.dataDir)).toEqual([]);
    }
  }, 300_000);

  it('refuses a malformed configuration with one line per problem', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
      env: { ...cleanEnv(), PORT: 'abc', TEMPORAL_ADDRESS: 'nope' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in result && result.code).toBe(78);
    const lines = (result as { stderr: string }).stderr.trim().split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1).map((l) => l.trim().split(' ')[0])).toEqual(['PORT', 'TEMPORAL_ADDRESS']);
  });

  it('migrate applies the migrations and exits', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-cli-'));
    dirs.push(dataDir);
    const env = { ...cleanEnv(), DYNAMIQ_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = await run(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'migrate'], {
      env,
    });
    expect(first.stdout).toContain('migrations applied');
    const second = await run(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'migrate'], {
      env,
    });
    expect(second.stdout).toContain('database is up to date');
  }, 180_000);
});
