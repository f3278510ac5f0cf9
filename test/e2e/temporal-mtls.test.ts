// Mutual TLS to the Temporal frontend as docker-compose.yml sets it up: certificates from
// scripts/temporal-certs.sh, a frontend that requires a client certificate from the private CA.
// The dev server speaks plain gRPC, so a TLS terminator on loopback (requiring client
// certificates, ALPN h2) stands in front of it; the client and worker connections are the
// product's own (lib/temporal), configured by the same settings compose passes.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config/index.js';
import { connectClient, connectNative, targetFromConfig } from '../../lib/temporal/index.js';

const run = promisify(execFile);

let dir: string;
let certs: string;
let frontend: tls.Server;
let address: string;
/** Client certificates the terminator saw, by subject CN (empty: a handshake without one). */
const presented: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-mtls-'));
  certs = path.join(dir, 'certs', 'temporal');
  await run('bash', ['scripts/temporal-certs.sh', certs, 'temporal']);
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  frontend = tls.createServer(
    {
      key: await fs.readFile(path.join(certs, 'server.key')),
      cert: await fs.readFile(path.join(certs, 'server.pem')),
      ca: await fs.readFile(path.join(certs, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      presented.push(String(socket.getPeerCertificate().subject?.CN ?? ''));
      const upstream = net.connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  frontend.on('tlsClientError', () => presented.push(''));
  await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(frontend.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => frontend?.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

const configWith = (env: Record<string, string>) =>
  loadConfig({ TEMPORAL_ADDRESS: address, DYNAMIQ_DATA_DIR: dir, ...env });

describe('mTLS to the Temporal frontend', () => {
  it('connects the client and the worker with the compose settings and presents the client certificate', async () => {
    const config = configWith({
      TEMPORAL_TLS_CA_PATH: path.join(certs, 'ca.pem'),
      TEMPORAL_TLS_CERT_PATH: path.join(certs, 'client.pem'),
      TEMPORAL_TLS_KEY_PATH: path.join(certs, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    expect(config.temporal.tls).toBe(true);
    const target = targetFromConfig(config, address);
    const client = await connectClient(target, undefined, { connectTimeoutMs: 10_000 });
    try {
      const { namespaceInfo } = await client.workflowService.describeNamespace({
        namespace: 'default',
      });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await client.connection.close();
    }
    const native = await connectNative(target);
    await native.close();
    expect(presented.filter((cn) => cn === 'dynamiq').length).toBeGreaterThanOrEqual(2);
  });

  it('is refused without a client certificate', async () => {
    const config = configWith({
      TEMPORAL_TLS_CA_PATH: path.join(certs, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    await expect(
      connectClient(targetFromConfig(config, address), undefined, { connectTimeoutMs: 3_000 }),
    ).rejects.toThrow();
  });

  it('refuses a server whose certificate another CA signed, or that carries another name', async () => {
    const stranger = path.join(dir, 'other', 'temporal');
    await run('bash', ['scripts/temporal-certs.sh', stranger, 'temporal']);
    const client = {
      TEMPORAL_TLS_CERT_PATH: path.join(certs, 'client.pem'),
      TEMPORAL_TLS_KEY_PATH: path.join(certs, 'client.key'),
    };
    const wrongCa = configWith({
      ...client,
      TEMPORAL_TLS_CA_PATH: path.join(stranger, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    await expect(
      connectClient(targetFromConfig(wrongCa, address), undefined, { connectTimeoutMs: 3_000 }),
    ).rejects.toThrow();
    const wrongName = configWith({
      ...client,
      TEMPORAL_TLS_CA_PATH: path.join(certs, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'not-temporal',
    });
    await expect(
      connectClient(targetFromConfig(wrongName, address), undefined, { connectTimeoutMs: 3_000 }),
    ).rejects.toThrow();
  });
});
