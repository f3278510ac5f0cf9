// The default network of a local sandbox, seen from inside: only its own loopback, and the
// worker's egress proxy as the one way out. Every destination here is this machine's loopback
// or a host in a network namespace this test creates; nothing else is ever connected to.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ExecResult } from '../types.js';
import { LocalSandboxProvider } from './local-provider.js';
import type { LocalSandboxProviderOptions } from './options.js';

// PostgreSQL runs on the host's loopback here (see ENVIRONMENT.md): the real thing to protect.
const DATABASE_PORT = 5432;
const STS_ANSWER = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/through-proxy</Arn>
<UserId>AIDEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

/** A tiny HTTP server for the namespace's private host. */
const NS_SERVER = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header('Content-Length', '8'); self.end_headers()
        self.wfile.write(b'ns-pong\\n')
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], 8080), H).serve_forever()
`;

let dataDir: string;
/** Stands in for the internet: the tests allow it by host:port, as an operator would. */
let publicServer: Server;
let publicPort: number;
/** A loopback service nobody allowed, like the API or Temporal on this host. */
let privateServer: Server;
let privatePort: number;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

function provider(extra: Partial<LocalSandboxProviderOptions> = {}) {
  return new LocalSandboxProvider({ root: path.join(dataDir, 'sandboxes'), ...extra });
}

const allowPublic = () => provider({ egress: { allow: [`127.0.0.1:${publicPort}`] } });

/** curl through the proxy even for loopback names (NO_PROXY lists them for local servers). */
const viaProxy = `curl -s --noproxy '' --max-time 10`;

const refused = (r: ExecResult, host: string, port: number) =>
  r.network?.connections.filter((c) => c.host === host && c.port === port && !c.allowed) ?? [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-net-'));
  await chmod(dataDir, 0o711);
  publicServer = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      if (req.headers['user-agent']?.includes('aws-cli')) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(STS_ANSWER);
      } else res.end('public-pong');
    });
  });
  publicPort = await listen(publicServer);
  privateServer = createServer((_req, res) => res.end('private-secret'));
  privatePort = await listen(privateServer);
});

afterAll(async () => {
  publicServer?.close();
  privateServer?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a proxied sandbox (the default)', () => {
  it('has only its own loopback: the host database, the Temporal server and loopback servers are unreachable directly', async () => {
    // The test run's own Temporal server (no authentication): the one the product uses here.
    const temporalPort = Number(new URL(`tcp://${inject('temporalAddress')}`).port);
    const sbx = await provider().create();
    const r = await sbx.exec(
      `for p in ${DATABASE_PORT} ${temporalPort} ${privatePort} ${publicPort}; do ` +
        `(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && echo "open $p" || echo "closed $p"; done; ` +
        `curl -s --max-time 5 http://127.0.0.1:${privatePort}/; echo "curl=$?"`,
    );
    expect(r.stdout).toContain(`closed ${DATABASE_PORT}`);
    expect(r.stdout).toContain(`closed ${temporalPort}`);
    expect(r.stdout).toContain(`closed ${privatePort}`);
    expect(r.stdout).toContain(`closed ${publicPort}`);
    expect(r.stdout).not.toContain('private-secret');
    expect(r.stdout).toMatch(/curl=[1-9]/);
    await sbx.kill();
  });

  it('sets the proxy variables in both spellings for every command', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec('env | grep -i _proxy= | sort');
    expect(r.stdout.trim().split('\n')).toEqual([
      'ALL_PROXY=socks5h://127.0.0.1:1080',
      'HTTPS_PROXY=http://127.0.0.1:3128',
      'HTTP_PROXY=http://127.0.0.1:3128',
      'NO_PROXY=localhost,127.0.0.1,::1',
      'all_proxy=socks5h://127.0.0.1:1080',
      'http_proxy=http://127.0.0.1:3128',
      'https_proxy=http://127.0.0.1:3128',
      'no_proxy=localhost,127.0.0.1,::1',
    ]);
    await sbx.kill();
  });

  it('refuses the loopback database port and a name resolving to 127.0.0.1, by every protocol, and records it', async () => {
    const sbx = await provider().create();
    const r = await sbx.exec(
      [
        // Plain HTTP forwarding, a CONNECT tunnel, and SOCKS5 with the proxy resolving.
        `${viaProxy} -x "$HTTP_PROXY" -w ' http=%{http_code}\\n' http://localhost:${privatePort}/`,
        `${viaProxy} -p -x "$HTTP_PROXY" -w ' connect=%{http_connect}\\n' http://127.0.0.1:${DATABASE_PORT}/`,
        `${viaProxy} -x "$ALL_PROXY" http://localhost:${DATABASE_PORT}/; echo " socks=$?"`,
        `${viaProxy} -x "$HTTP_PROXY" -w ' hex=%{http_code}\\n' http://0x7f000001:${privatePort}/`,
      ].join('; '),
    );
    expect(r.stdout).toContain(
      `dynamiq egress: refused localhost:${privatePort} (127.0.0.1): a loopback address\n http=403`,
    );
    expect(r.stdout).toContain('connect=403');
    // curl reports a SOCKS5 refusal as exit 97 (proxy handshake failed).
    expect(r.stdout).toMatch(/socks=(97|7)/);
    expect(r.stdout).toContain('hex=403');
    expect(r.stdout).not.toContain('private-secret');
    const log = r.network!.connections;
    expect(refused(r, 'localhost', privatePort)).toMatchObject([
      { protocol: 'http', address: '127.0.0.1', reason: 'a loopback address', bytesIn: 0 },
    ]);
    expect(refused(r, '127.0.0.1', DATABASE_PORT)).toMatchObject([
      { protocol: 'connect', reason: 'a loopback address' },
    ]);
    expect(refused(r, 'localhost', DATABASE_PORT)).toMatchObject([
      { protocol: 'socks5', reason: 'a loopback address' },
    ]);
    expect(refused(r, '127.0.0.1', privatePort)).toMatchObject([{ protocol: 'http' }]);
    expect(log.every((c) => !c.allowed)).toBe(true);
    await sbx.kill();
  });

  it('reaches an allowed server through the proxy by HTTP, CONNECT and SOCKS5, and directly at its own address', async () => {
    const sbx = await allowPublic().create();
    const url = `http://127.0.0.1:${publicPort}/hello`;
    const r = await sbx.exec(
      [
        `${viaProxy} -x "$HTTP_PROXY" ${url}?via=http; echo`,
        `${viaProxy} -p -x "$HTTP_PROXY" ${url}?via=connect; echo`,
        `${viaProxy} -x "$ALL_PROXY" ${url}?via=socks; echo`,
        // NO_PROXY keeps loopback direct: the bridge shows the server at the same address.
        `curl -s --max-time 10 ${url}?via=bridge; echo`,
      ].join('; '),
    );
    expect(r.stdout).toBe('public-pong\n'.repeat(4));
    expect(seen.slice(-4).map((s) => s.url)).toEqual([
      '/hello?via=http',
      '/hello?via=connect',
      '/hello?via=socks',
      '/hello?via=bridge',
    ]);
    const log = r.network!.connections;
    expect(log.map((c) => [c.protocol, c.allowed])).toEqual([
      ['http', true],
      ['connect', true],
      ['socks5', true],
      ['bridge', true],
    ]);
    for (const c of log) {
      expect(c).toMatchObject({ host: '127.0.0.1', port: publicPort, address: '127.0.0.1' });
      expect(c.bytesIn).toBeGreaterThan(0);
      expect(c.bytesOut).toBeGreaterThan(0);
    }
    // Allowing one port opens nothing else on the same host.
    const other = await sbx.exec(`${viaProxy} -x "$HTTP_PROXY" http://127.0.0.1:${privatePort}/`);
    expect(other.stdout).toContain('a loopback address');
    await sbx.kill();
  });

  it('lets the real AWS CLI reach a fake endpoint through the proxy', async () => {
    const sbx = await allowPublic().create();
    const r = await sbx.exec(
      `/usr/bin/aws sts get-caller-identity --endpoint-url http://127.0.0.1:${publicPort} --output json`,
      {
        env: {
          // Through the proxy itself rather than the loopback bridge.
          NO_PROXY: '',
          no_proxy: '',
          AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE000000000',
          AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('hex'),
          AWS_DEFAULT_REGION: 'us-east-1',
        },
        timeoutMs: 120_000,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      Arn: 'arn:aws:iam::123456789012:user/through-proxy',
    });
    expect(seen.at(-1)!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/);
    expect(r.network!.connections).toMatchObject([
      { protocol: 'http', host: '127.0.0.1', port: publicPort, allowed: true },
    ]);
    await sbx.kill();
  });

  it('reads allowed destinations per command, as the broker is known only once the api listens', async () => {
    let allowed: string[] = [];
    const sbx = await provider({ egress: { allowPerCommand: () => allowed } }).create();
    const probe = `curl -s --max-time 10 -w ' %{http_code}' http://127.0.0.1:${publicPort}/`;
    expect((await sbx.exec(probe)).stdout).not.toContain('public-pong');
    allowed = [`127.0.0.1:${publicPort}`];
    expect((await sbx.exec(probe)).stdout).toBe('public-pong 200');
    await sbx.kill();
  });
});

describe('private destinations, end to end, on a host the test creates in its own namespace', () => {
  const tag = randomBytes(3).toString('hex');
  const ns = `dq-eg-${tag}`;
  const hostIf = `dqh${tag}`;
  const nsIf = `dqn${tag}`;
  const octet = 16 + (parseInt(tag, 16) % 200);
  const privateAddress = `10.231.${octet}.2`;
  let server: ChildProcess | undefined;
  let ready = false;

  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  beforeAll(async () => {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', ns);
    ip('addr', 'add', `10.231.${octet}.1/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${privateAddress}/30`, 'dev', nsIf);
    ip('-n', ns, 'link', 'set', nsIf, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    server = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', NS_SERVER, privateAddress], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && !ready; i++) {
      ready = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-ltnH'])
        .toString()
        .includes(`${privateAddress}:8080`);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    for (const args of [
      ['link', 'del', hostIf],
      ['netns', 'del', ns],
    ]) {
      try {
        ip(...args);
      } catch {
        // Already gone.
      }
    }
  });

  it('refuses a 10.x host by default and reaches it only when allowed by host:port', async () => {
    expect(ready).toBe(true);
    const url = `http://${privateAddress}:8080/`;
    const closed = await provider().create();
    const refusedRun = await closed.exec(
      `${viaProxy} -x "$HTTP_PROXY" ${url}; echo; curl -s --noproxy '*' --max-time 5 ${url}; echo "direct=$?"`,
    );
    expect(refusedRun.stdout).toContain(`refused ${privateAddress}:8080: a private address`);
    expect(refusedRun.stdout).toMatch(/direct=[1-9]/);
    expect(refusedRun.stdout).not.toContain('ns-pong');
    expect(refused(refusedRun, privateAddress, 8080)).toHaveLength(1);

    const open = await provider({ egress: { allow: [`${privateAddress}:8080`] } }).create();
    const allowedRun = await open.exec(`curl -s --max-time 10 ${url}`);
    expect(allowedRun.stdout).toBe('ns-pong\n');
    expect(allowedRun.network!.connections).toMatchObject([
      { protocol: 'http', host: privateAddress, allowed: true },
    ]);
    await Promise.all([closed.kill(), open.kill()]);
  });
});
