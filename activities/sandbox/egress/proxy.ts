import { chmod, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { createServer as createSocksServer } from '@pondwader/socks5-server';
import { parseDestination } from './policy.js';
import type { EgressDecision, EgressPolicy } from './policy.js';

/** One connection a command opened (or tried to) through its sandbox's egress. */
export interface EgressConnection {
  /** `http` forward request, `connect` tunnel, `socks5` tunnel, or a loopback `bridge`. */
  protocol: 'http' | 'connect' | 'socks5' | 'bridge';
  host: string;
  port: number;
  /** The address connected to (allowed) or the one that was refused, when known. */
  address?: string;
  allowed: boolean;
  /** Why it was refused, or why the upstream connection failed. */
  reason?: string;
  /** Bytes from the destination to the sandbox, and from the sandbox to it. */
  bytesIn: number;
  bytesOut: number;
  startedAt: string;
  durationMs: number;
}

/** A loopback destination shown at the same port on the sandbox's own loopback. */
export interface EgressBridge {
  port: number;
  host: string;
  socketName: string;
}

// Headers that belong to one hop (RFC 9110 section 7.6.1) and never travel on.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Connections kept per command; later ones are counted, not stored. */
const MAX_RECORDS = 500;

/** The connections opened while one command ran. */
export interface EgressRecording {
  /** Stops recording once every connection recorded has closed (at most `settleMs` later). */
  stop(settleMs?: number): Promise<{ connections: EgressConnection[]; dropped: number }>;
}

interface Recorder {
  records: EgressConnection[];
  dropped: number;
}

/**
 * The egress proxy of one sandbox: an HTTP proxy (CONNECT tunnels and plain-HTTP forwarding,
 * parsed by node:http) and a SOCKS5 proxy (@pondwader/socks5-server) on Unix sockets in
 * `dir`, which the sandbox reaches through relays on its own loopback (run by its exec
 * server), plus one socket per loopback bridge. Each destination is decided by the policy in
 * force (set before each command), the connection goes to the address the policy checked,
 * and every attempt is recorded for each command recording at the time.
 */
export class EgressProxy {
  private readonly recorders = new Set<Recorder>();
  /** Allowed connections whose upstream has not closed yet (their byte counts are pending). */
  private readonly unsettled = new Set<EgressConnection>();
  private readonly sockets = new Set<Duplex>();
  private readonly servers: Array<NetServer | HttpServer> = [];
  private readonly bridgeNames = new Set<string>();

  private constructor(
    private policy: EgressPolicy,
    readonly dir: string,
  ) {}

  /** Starts listening on `dir/http.sock`, `dir/socks.sock` and one socket per bridge. */
  static async start(opts: {
    policy: EgressPolicy;
    dir: string;
    bridges: readonly EgressBridge[];
  }): Promise<EgressProxy> {
    const proxy = new EgressProxy(opts.policy, opts.dir);
    try {
      await proxy.listen(proxy.httpServer(), 'http.sock');
      await proxy.listen(proxy.socksServer(), 'socks.sock');
      await proxy.addBridges(opts.bridges);
    } catch (err) {
      await proxy.close();
      throw err;
    }
    return proxy;
  }

  /** The policy for connections from now on (each command reads its allowed list afresh). */
  setPolicy(policy: EgressPolicy): void {
    this.policy = policy;
  }

  /** Listens on the sockets of bridges not yet served; the policy still decides each use. */
  async addBridges(bridges: readonly EgressBridge[]): Promise<void> {
    for (const bridge of bridges) {
      if (this.bridgeNames.has(bridge.socketName)) continue;
      this.bridgeNames.add(bridge.socketName);
      const server = createNetServer((socket) => void this.bridge(socket, bridge));
      await this.listen(server, bridge.socketName);
    }
  }

  /** Records every connection from now until `stop`, in the order they start. */
  record(): EgressRecording {
    const recorder: Recorder = { records: [], dropped: 0 };
    this.recorders.add(recorder);
    return {
      stop: async (settleMs = 250) => {
        const deadline = performance.now() + settleMs;
        while (
          recorder.records.some((r) => this.unsettled.has(r)) &&
          performance.now() < deadline
        ) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        this.recorders.delete(recorder);
        return { connections: [...recorder.records], dropped: recorder.dropped };
      },
    };
  }

  /** Stops listening and cuts every tunnel still open. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  }

  private async listen(server: NetServer | HttpServer, name: string): Promise<void> {
    this.servers.push(server);
    const file = path.join(this.dir, name);
    // A socket file left by an earlier worker: nothing listens on it any more.
    await rm(file, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
    // The folder is the sandbox user's alone; the socket needs write permission to connect.
    await chmod(file, 0o666);
  }

  private track<T extends Duplex>(socket: T): T {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    return socket;
  }

  private addRecord(entry: EgressConnection) {
    for (const r of this.recorders) {
      if (r.records.length < MAX_RECORDS) r.records.push(entry);
      else r.dropped++;
    }
  }

  /** Records the decision now; for an allowed one, the byte counts are filled in at close. */
  private open(protocol: EgressConnection['protocol'], d: EgressDecision): EgressConnection {
    const entry: EgressConnection = {
      protocol,
      host: d.host,
      port: d.port,
      address: d.address,
      allowed: d.allowed,
      ...(d.allowed ? {} : { reason: d.reason }),
      bytesIn: 0,
      bytesOut: 0,
      startedAt: new Date().toISOString(),
      durationMs: 0,
    };
    this.addRecord(entry);
    return entry;
  }

  /** Connects to the checked address; resolves with the socket or rejects with the error. */
  private dial(entry: EgressConnection, d: EgressDecision & { allowed: true }): Promise<Socket> {
    const started = performance.now();
    const upstream = this.track(connect({ host: d.address, port: d.port, family: d.family }));
    this.unsettled.add(entry);
    upstream.on('close', () => {
      this.unsettled.delete(entry);
      entry.bytesIn = upstream.bytesRead;
      entry.bytesOut = upstream.bytesWritten;
      entry.durationMs = Math.round(performance.now() - started);
    });
    return new Promise((resolve, reject) => {
      upstream.once('connect', () => resolve(upstream));
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        entry.reason = `cannot connect (${err.code ?? err.message})`;
        reject(err);
      });
    });
  }

  private splice(a: Duplex, b: Duplex) {
    a.pipe(b);
    b.pipe(a);
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
  }

  private httpServer(): HttpServer {
    // Timeouts off: a download or a long poll through the proxy may take as long as the command.
    const server = createHttpServer({ requestTimeout: 0 });
    server.on('connection', (socket: Socket) => this.track(socket));
    server.on('request', (req, res) => void this.forward(req, res));
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.tunnel(req, this.track(socket), head);
    });
    return server;
  }

  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer) {
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const d = await this.policy.decide(target.host, target.port);
    const entry = this.open('connect', d);
    if (!d.allowed) {
      const body = refusalText(d);
      client.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Dynamiq-Egress: refused\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    try {
      const upstream = await this.dial(entry, d);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      this.splice(client, upstream);
    } catch {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse) {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('an absolute http:// URL is needed\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('use CONNECT for https\n');
      return;
    }
    const d = await this.policy.decide(url.hostname, Number(url.port || 80));
    const entry = this.open('http', d);
    if (!d.allowed) {
      res
        .writeHead(403, { 'content-type': 'text/plain', 'x-dynamiq-egress': 'refused' })
        .end(`${refusalText(d)}\n`);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const started = performance.now();
    const upstream = httpRequest({
      host: d.address,
      family: d.family,
      port: d.port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      agent: false,
    });
    this.unsettled.add(entry);
    upstream.on('close', () => this.unsettled.delete(entry));
    upstream.on('socket', (socket) => {
      this.track(socket);
      socket.on('close', () => {
        this.unsettled.delete(entry);
        entry.bytesIn = socket.bytesRead;
        entry.bytesOut = socket.bytesWritten;
        entry.durationMs = Math.round(performance.now() - started);
      });
    });
    upstream.on('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(up.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      up.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      entry.reason = `cannot connect (${err.code ?? err.message})`;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end();
    });
    req.pipe(upstream);
  }

  private socksServer(): NetServer {
    const socks = createSocksServer();
    socks.setConnectionHandler((conn, sendStatus) => {
      const client = this.track(conn.socket);
      client.pause();
      void (async () => {
        const d = await this.policy.decide(conn.destAddress, conn.destPort);
        const entry = this.open('socks5', d);
        if (!d.allowed) return sendStatus('CONNECTION_NOT_ALLOWED');
        try {
          const upstream = await this.dial(entry, d);
          sendStatus('REQUEST_GRANTED');
          this.splice(client, upstream);
        } catch {
          sendStatus('HOST_UNREACHABLE');
        }
      })();
    });
    // The library's own listener, so the protocol is entirely its parsing.
    const server = createNetServer((socket) => socks._handleConnection(this.track(socket)));
    return server;
  }

  private async bridge(client: Socket, bridge: EgressBridge) {
    this.track(client);
    client.pause();
    const d = await this.policy.decide(bridge.host, bridge.port);
    const entry = this.open('bridge', d);
    if (!d.allowed) {
      client.destroy();
      return;
    }
    try {
      this.splice(client, await this.dial(entry, d));
    } catch {
      client.destroy();
    }
  }
}

/** `host:port` of a CONNECT request, IPv6 in brackets. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  return parseDestination(authority);
}

function refusalText(d: EgressDecision & { allowed: false }): string {
  const where = d.address && d.address !== d.host ? ` (${d.address})` : '';
  return `dynamiq egress: refused ${d.host}:${d.port}${where}: ${d.reason}`;
}
