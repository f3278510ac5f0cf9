import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

/** The reference server from npm (`@modelcontextprotocol/server-everything`), as a script path. */
export const EVERYTHING_SCRIPT = path.join(
  path.dirname(
    createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json'),
  ),
  'dist/index.js',
);

/** How a local MCP provider starts server-everything over stdio. */
export const everythingStdio = { command: process.execPath, args: [EVERYTHING_SCRIPT, 'stdio'] };

// server-everything binds every interface and has no option for it: this preload pins any
// listen(port) without a host to 127.0.0.1, so the test server is never reachable from outside.
const LOOPBACK_ONLY = `data:text/javascript,${encodeURIComponent(`
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = args[0];
  if ((typeof port === 'number' || /^\\d+$/.test(String(port))) && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};`)}`;

export interface EverythingHttp {
  /** `http://127.0.0.1:<port>/mcp` (Streamable HTTP) or `.../sse` (the older HTTP+SSE). */
  url: string;
  port: number;
  /** Kills the process and starts a new one on the same port: every session is forgotten. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts server-everything over HTTP on a free loopback port and waits until it accepts. */
export async function startEverythingHttp(
  mode: 'streamableHttp' | 'sse' = 'streamableHttp',
): Promise<EverythingHttp> {
  const port = await freePort();
  let child = await launch(mode, port);
  return {
    url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`,
    port,
    async restart() {
      await stop(child);
      child = await launch(mode, port);
    },
    close: () => stop(child),
  };
}

async function launch(mode: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', LOOPBACK_ONLY, EVERYTHING_SCRIPT, mode], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`server-everything exited: ${stderr}`);
    if (Date.now() > deadline)
      throw new Error(`server-everything did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
