import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider, McpRegistry } from '../../mcp/index.js';
import { MCP_OPERATIONS } from '../../lib/sandbox-access/index.js';
import { LocalSandboxProvider } from '../../activities/sandbox/index.js';
import { createLogger } from '../../lib/logging.js';
import { signSandboxToken } from '../../lib/sandbox-access/index.js';
import { startFakeMcpServer } from '../../test/fakes/mcp/fake-server.js';
import { addTool, echoTool, failTool } from '../../test/fakes/mcp/tools.js';
import { mcpProxyRoutes } from '../../web/server/routes/mcp.js';

const CLI = path.resolve(import.meta.dirname, '../bin/mcp-cli');
const BIN_DIR = path.dirname(CLI);
const secret = 'cli-test-secret-0123456789abcdefghijkl';
const scopes = { apps: ['tools'], operations: [MCP_OPERATIONS.list, MCP_OPERATIONS.call] };
const claims = { userId: 'u1', conversationId: 'c1', sandboxId: 's1', scopes };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs mcp-cli with nothing but node and the given environment (no PATH, no HOME). */
function run(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  command = [process.execPath, CLI],
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('mcp-cli (a child process talking to the proxy)', () => {
  let fake: Awaited<ReturnType<typeof startFakeMcpServer>>;
  let registry: McpRegistry;
  let app: FastifyInstance;
  let env: Record<string, string>;
  let tmp: string;

  beforeAll(async () => {
    fake = await startFakeMcpServer({ tools: () => [echoTool(), addTool, failTool] });
    registry = new McpRegistry({
      providers: [
        new LocalProvider({ servers: { tools: { url: fake.url }, other: { url: fake.url } } }),
      ],
    });
    app = Fastify();
    await mcpProxyRoutes(app, { mcp: registry, jwtSecret: secret, log: createLogger('silent') });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    env = {
      DYNAMIQ_BROKER_URL: `http://127.0.0.1:${port}`,
      DYNAMIQ_SANDBOX_TOKEN: await signSandboxToken(claims, secret),
    };
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-cli-'));
  });
  afterAll(async () => {
    await app.close();
    await registry.close();
    await fake.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists apps and tools as JSON', async () => {
    const apps = await run(['apps'], env);
    expect(apps).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(apps.stdout)).toEqual({
      apps: [{ app: 'tools', provider: 'local', configured: true }],
    });
    const tools = await run(['tools', 'tools'], env);
    expect(tools.code).toBe(0);
    const list = JSON.parse(tools.stdout) as {
      tools: Array<{ name: string; inputSchema: unknown }>;
    };
    expect(list.tools.map((t) => t.name)).toEqual(['echo', 'add', 'fail']);
  });

  it('calls a tool with --json arguments, from the command line or stdin', async () => {
    const sum = await run(['call', 'tools', 'add', '--json', '{"a":1,"b":2}'], env);
    expect(sum.code).toBe(0);
    expect(JSON.parse(sum.stdout)).toMatchObject({ isError: false, structuredContent: { sum: 3 } });
    const piped = await run(
      ['call', 'tools', 'echo', '--json', '-', '--text'],
      env,
      '{"message":"from stdin"}',
    );
    expect(piped).toMatchObject({ code: 0, stdout: 'from stdin\n' });
  });

  it('exits non-zero with a clear message for every kind of failure', async () => {
    const failed = await run(['call', 'tools', 'fail'], env);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      isError: true,
      text: 'upstream API said no',
    });
    expect(failed.stderr).toContain('tools/fail reported an error');

    const forbidden = await run(['tools', 'other'], env);
    expect(forbidden).toMatchObject({ code: 1, stdout: '' });
    expect(forbidden.stderr).toMatch(
      /^mcp-cli: This sandbox may not use other; .* \(forbidden_app\)\n$/,
    );

    const invalid = await run(['call', 'tools', 'add', '--json', '{"a":"x"}'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('(invalid_arguments)');

    const badJson = await run(['call', 'tools', 'add', '--json', '{oops'], env);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--json is not valid JSON');

    expect((await run(['frobnicate'], env)).code).toBe(2);
    const noEnv = await run(['apps'], {});
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toContain('DYNAMIQ_BROKER_URL');
    const closed = await closedPort();
    const down = await run(['apps'], { ...env, DYNAMIQ_BROKER_URL: `http://127.0.0.1:${closed}` });
    expect(down.stderr).toContain(
      `cannot reach the proxy at http://127.0.0.1:${closed}: ECONNREFUSED`,
    );
  });

  it('re-reads DYNAMIQ_SANDBOX_TOKEN_FILE on every call', async () => {
    const file = path.join(tmp, 'token');
    const withFile = {
      DYNAMIQ_BROKER_URL: env.DYNAMIQ_BROKER_URL!,
      DYNAMIQ_SANDBOX_TOKEN_FILE: file,
    };
    fs.writeFileSync(file, `${await signSandboxToken(claims, secret)}\n`);
    expect((await run(['apps'], withFile)).code).toBe(0);
    fs.writeFileSync(
      file,
      await signSandboxToken(claims, secret, { now: new Date(Date.now() - 3_600_000) }),
    );
    const expired = await run(['apps'], withFile);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('(expired)');
    fs.writeFileSync(file, await signSandboxToken(claims, secret));
    expect((await run(['apps'], withFile)).code).toBe(0);
    fs.rmSync(file);
    expect((await run(['apps'], withFile)).stderr).toContain('cannot read the sandbox token file');
  });

  it('works inside a real local sandbox, and the proxy refuses it a forged token', async () => {
    // The product's own bubblewrap sandbox, with the helpers on PATH as the worker sets it up.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-cli-sandbox-'));
    fs.chmodSync(dataDir, 0o711);
    const provider = new LocalSandboxProvider({
      root: path.join(dataDir, 'sandboxes'),
      network: 'shared',
      readOnlyBinds: [{ source: BIN_DIR, target: '/opt/dynamiq/bin', onPath: true }],
    });
    const sandbox = await provider.create();
    try {
      const ok = await sandbox.exec(
        `mcp-cli call tools echo --json '{"message":"from the sandbox"}' --text`,
        { env },
      );
      expect(ok).toMatchObject({ exitCode: 0, stdout: 'from the sandbox\n', stderr: '' });
      const forged = await signSandboxToken(claims, 'another-secret-0123456789abcdefghijkl');
      const refused = await sandbox.exec('mcp-cli apps', {
        env: { ...env, DYNAMIQ_SANDBOX_TOKEN: forged },
      });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(/invalid_signature|unauthori[sz]ed/i);
    } finally {
      await sandbox.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
