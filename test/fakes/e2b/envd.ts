import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import {
  decodeEnvelope,
  readBody,
  RpcError,
  sendUnary,
  sendUnaryError,
  ServerStream,
} from './connect-rpc.js';

/** One fake sandbox: a temp folder standing in for the VM's disk, and its live processes. */
export interface FakeSandbox {
  id: string;
  templateId: string;
  metadata: Record<string, string>;
  envdAccessToken: string;
  root: string;
  /** Every lifetime (in seconds) the API was asked to set: at create, connect and setTimeout. */
  lifetimes: number[];
  processes: Map<number, ChildProcess>;
}

/** Maps an absolute sandbox path (e.g. /work/a.txt) into the sandbox's temp folder. */
export function hostPath(sbx: FakeSandbox, sandboxPath: string): string {
  return path.join(sbx.root, path.posix.normalize(`/${sandboxPath}`));
}

const selector = z.object({ pid: z.number() });
const startSchema = z.object({
  process: z.object({
    cmd: z.string(),
    args: z.array(z.string()).default([]),
    envs: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  }),
  stdin: z.boolean().optional(),
});

/** Answers one envd request (Connect RPC or the /files HTTP API) for `sbx`. */
export async function handleEnvd(
  sbx: FakeSandbox,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) {
  try {
    if (url.pathname === '/files') return await handleFiles(sbx, req, res, url);
    const body = await readBody(req);
    if (url.pathname === '/process.Process/Start')
      return startProcess(sbx, decodeEnvelope(body), res);
    const message: unknown = JSON.parse(body.toString('utf8') || '{}');
    switch (url.pathname) {
      case '/process.Process/SendSignal':
        return sendUnary(res, signalProcess(sbx, message));
      case '/process.Process/SendInput': {
        const m = z
          .object({ process: selector, input: z.object({ stdin: z.string() }) })
          .parse(message);
        processOf(sbx, m.process.pid).stdin?.write(Buffer.from(m.input.stdin, 'base64'));
        return sendUnary(res, {});
      }
      case '/process.Process/CloseStdin': {
        const m = z.object({ process: selector }).parse(message);
        processOf(sbx, m.process.pid).stdin?.end();
        return sendUnary(res, {});
      }
      case '/filesystem.Filesystem/Stat': {
        const m = z.object({ path: z.string() }).parse(message);
        return sendUnary(res, { entry: await entryInfo(sbx, m.path) });
      }
      case '/filesystem.Filesystem/ListDir': {
        const m = z.object({ path: z.string() }).parse(message);
        const names = await readdir(hostPath(sbx, m.path)).catch(() => {
          throw new RpcError('not_found', `directory ${m.path} not found`);
        });
        const entries = await Promise.all(
          names.map((n) => entryInfo(sbx, path.posix.join(m.path, n))),
        );
        return sendUnary(res, { entries });
      }
      default:
        throw new RpcError('unimplemented', `the fake envd does not implement ${url.pathname}`);
    }
  } catch (err) {
    if (err instanceof RpcError) return sendUnaryError(res, err);
    return sendUnaryError(res, new RpcError('internal', String(err)));
  }
}

function startProcess(sbx: FakeSandbox, message: unknown, res: ServerResponse) {
  const { process: p, stdin } = startSchema.parse(message);
  const child = spawn(p.cmd, p.args, {
    cwd: hostPath(sbx, p.cwd ?? '/home/user'),
    env: { PATH: '/usr/bin:/bin', HOME: hostPath(sbx, '/home/user'), ...p.envs },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const stream = new ServerStream(res);
  const pid = child.pid ?? 0;
  sbx.processes.set(pid, child);
  stream.send({ event: { start: { pid } } });
  child.stdout?.on('data', (d: Buffer) =>
    stream.send({ event: { data: { stdout: d.toString('base64') } } }),
  );
  child.stderr?.on('data', (d: Buffer) =>
    stream.send({ event: { data: { stderr: d.toString('base64') } } }),
  );
  child.stdin?.on('error', () => {});
  child.on('close', (code, signal) => {
    sbx.processes.delete(pid);
    // envd's end event: the exit code, or -1 and Go's wording for a death by signal.
    const end = signal
      ? {
          exitCode: -1,
          exited: false,
          status: `signal: ${signal === 'SIGKILL' ? 'killed' : signal}`,
        }
      : { exitCode: code ?? 0, exited: true, status: `exit status ${code ?? 0}` };
    stream.send({ event: { end } });
    stream.end();
  });
}

function signalProcess(sbx: FakeSandbox, message: unknown) {
  const m = z
    .object({ process: selector, signal: z.union([z.string(), z.number()]) })
    .parse(message);
  const sig = m.signal === 'SIGNAL_SIGTERM' || m.signal === 15 ? 'SIGTERM' : 'SIGKILL';
  // Like envd, only the one process is signalled; its children are the caller's business.
  processOf(sbx, m.process.pid).kill(sig);
  return {};
}

function processOf(sbx: FakeSandbox, pid: number): ChildProcess {
  const child = sbx.processes.get(pid);
  if (!child) throw new RpcError('not_found', `process with pid ${pid} not found`);
  return child;
}

async function entryInfo(sbx: FakeSandbox, sandboxPath: string) {
  const st = await lstat(hostPath(sbx, sandboxPath)).catch(() => {
    throw new RpcError('not_found', `no such file or directory: ${sandboxPath}`);
  });
  const type = st.isSymbolicLink()
    ? 'FILE_TYPE_SYMLINK'
    : st.isDirectory()
      ? 'FILE_TYPE_DIRECTORY'
      : 'FILE_TYPE_FILE';
  return {
    name: path.posix.basename(sandboxPath),
    type,
    path: path.posix.normalize(sandboxPath),
    size: String(st.size),
    mode: st.mode & 0o777,
    permissions: (st.mode & 0o777).toString(8),
    owner: 'user',
    group: 'user',
    modifiedTime: st.mtime.toISOString(),
  };
}

async function handleFiles(sbx: FakeSandbox, req: IncomingMessage, res: ServerResponse, url: URL) {
  const target = url.searchParams.get('path');
  if (!target) throw new RpcError('invalid_argument', 'path is required');
  const file = hostPath(sbx, target);
  if (req.method === 'GET') {
    const data = await readFile(file).catch(() => undefined);
    if (!data) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ code: 404, message: `file ${target} not found` }));
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': data.length,
    });
    return res.end(data);
  }
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  let data: Buffer = body;
  if (contentType.startsWith('multipart/form-data')) {
    // Let the platform's own multipart parser read what the SDK's FormData produced.
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const part = form.get('file');
    if (!(part instanceof Blob)) throw new RpcError('invalid_argument', 'missing file part');
    data = Buffer.from(await part.arrayBuffer());
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  sendUnary(res, [{ name: path.posix.basename(target), type: 'file', path: target }]);
}
