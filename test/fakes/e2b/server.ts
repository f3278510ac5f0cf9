import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { readBody } from './connect-rpc.js';
import { handleEnvd } from './envd.js';
import type { FakeSandbox } from './envd.js';

/**
 * A local stand-in for E2B: its control-plane REST API and each sandbox's envd daemon, both
 * on 127.0.0.1, with "sandboxes" that are temp folders running commands as local child
 * processes. It speaks the wire format the real `e2b` SDK sends (read from its dist), so the
 * SDK runs unmodified against it; what it cannot mimic is isolation, since commands run on
 * this machine, and absolute paths inside commands, which are not remapped.
 */
export interface FakeE2B {
  apiUrl: string;
  sandboxUrl: string;
  apiKey: string;
  sandboxes: Map<string, FakeSandbox>;
  /** Ids of sandboxes killed through the API. */
  killed: Set<string>;
  close(): Promise<void>;
}

/** The envd version the fake claims; new enough for closeStdin (0.5.2) and Stat. */
const ENVD_VERSION = '0.6.2';

const createSchema = z.object({
  templateID: z.string(),
  timeout: z.number().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
const timeoutSchema = z.object({ timeout: z.number() });

export async function startFakeE2B(apiKey = 'e2b_fake_key'): Promise<FakeE2B> {
  const base = await mkdtemp(path.join(tmpdir(), 'fake-e2b-'));
  const sandboxes = new Map<string, FakeSandbox>();
  const killed = new Set<string>();

  const json = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const described = (s: FakeSandbox) => ({
    sandboxID: s.id,
    templateID: s.templateId,
    clientID: 'fake',
    envdVersion: ENVD_VERSION,
    envdAccessToken: s.envdAccessToken,
  });

  const api = createServer((req, res) => {
    void handleApi(req, res).catch((err: unknown) =>
      json(res, 500, { code: 500, message: String(err) }),
    );
  });
  async function handleApi(req: IncomingMessage, res: ServerResponse) {
    if (req.headers['x-api-key'] !== apiKey)
      return json(res, 401, { code: 401, message: 'Invalid API key' });
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    const input: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (req.method === 'POST' && url.pathname === '/v2/sandboxes') {
      const m = createSchema.parse(input);
      const id = `fake${randomBytes(6).toString('hex')}`;
      const root = path.join(base, id);
      await mkdir(path.join(root, 'work'), { recursive: true });
      await mkdir(path.join(root, 'home', 'user'), { recursive: true });
      const sbx: FakeSandbox = {
        id,
        templateId: m.templateID,
        metadata: m.metadata ?? {},
        envdAccessToken: randomBytes(16).toString('hex'),
        root,
        lifetimes: m.timeout === undefined ? [] : [m.timeout],
        processes: new Map(),
      };
      sandboxes.set(id, sbx);
      return json(res, 201, described(sbx));
    }
    const match = /^(?:\/v2)?\/sandboxes\/([^/]+)(\/connect|\/timeout)?$/.exec(url.pathname);
    const sbx = match ? sandboxes.get(match[1] ?? '') : undefined;
    if (!match || !sbx) return json(res, 404, { code: 404, message: 'sandbox not found' });
    if (req.method === 'POST' && match[2] === '/connect') {
      const t = timeoutSchema.partial().parse(input).timeout;
      if (t !== undefined) sbx.lifetimes.push(t);
      return json(res, 200, described(sbx));
    }
    if (req.method === 'POST' && match[2] === '/timeout') {
      sbx.lifetimes.push(timeoutSchema.parse(input).timeout);
      return json(res, 204);
    }
    if (req.method === 'DELETE' && !match[2]) {
      for (const child of sbx.processes.values()) child.kill('SIGKILL');
      sandboxes.delete(sbx.id);
      killed.add(sbx.id);
      await rm(sbx.root, { recursive: true, force: true });
      return json(res, 204);
    }
    return json(res, 404, {
      code: 404,
      message: `the fake API does not implement ${req.method} ${url.pathname}`,
    });
  }

  const envd = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/health') return json(res, 204);
    const sbx = sandboxes.get(String(req.headers['e2b-sandbox-id']));
    // A dead sandbox's envd is unreachable; E2B's edge answers 502.
    if (!sbx) return json(res, 502, { code: 502, message: 'sandbox not running' });
    if (req.headers['x-access-token'] !== sbx.envdAccessToken) {
      return json(res, 401, { code: 'unauthenticated', message: 'bad access token' });
    }
    void handleEnvd(sbx, req, res, url);
  });

  const [apiUrl, sandboxUrl] = await Promise.all([listen(api), listen(envd)]);
  return {
    apiUrl,
    sandboxUrl,
    apiKey,
    sandboxes,
    killed,
    async close() {
      for (const sbx of sandboxes.values())
        for (const child of sbx.processes.values()) child.kill('SIGKILL');
      api.closeAllConnections();
      envd.closeAllConnections();
      await Promise.all([new Promise((r) => api.close(r)), new Promise((r) => envd.close(r))]);
      await rm(base, { recursive: true, force: true });
    },
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}
