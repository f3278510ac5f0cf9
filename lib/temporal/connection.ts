import fs from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/index.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** Trusts the server's certificate from this CA (PEM path) instead of the system's roots. */
  tlsCaPath?: string;
  /** Expects this name in the server's certificate instead of the address's host. */
  tlsServerName?: string;
}

export function targetFromConfig(config: Config, address: string): TemporalTarget {
  const t = config.temporal;
  return {
    address,
    namespace: t.namespace,
    apiKey: t.apiKey,
    tls: t.tls,
    tlsCertPath: t.tlsCertPath,
    tlsKeyPath: t.tlsKeyPath,
    tlsCaPath: t.tlsCaPath,
    tlsServerName: t.tlsServerName,
  };
}

/** The SDK's TLS options: mTLS when a client pair is given, a private CA, a name override. */
export async function tlsOptions(t: TemporalTarget): Promise<TLSConfig | true | undefined> {
  if (!t.tls) return undefined;
  const read = (path: string | undefined) => (path ? fs.readFile(path) : undefined);
  const [crt, key, ca] = await Promise.all([
    read(t.tlsCertPath),
    read(t.tlsKeyPath),
    read(t.tlsCaPath),
  ]);
  if (!crt && !key && !ca && !t.tlsServerName) return true;
  return {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(t.tlsServerName ? { serverNameOverride: t.tlsServerName } : {}),
  };
}

export async function connectClient(
  t: TemporalTarget,
  dataConverter?: DataConverter,
  opts: { connectTimeoutMs?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    address: t.address,
    tls: await tlsOptions(t),
    apiKey: t.apiKey,
    ...(opts.connectTimeoutMs ? { connectTimeout: opts.connectTimeoutMs } : {}),
  });
  return new Client({ connection, namespace: t.namespace, dataConverter });
}

export async function connectNative(t: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: t.address,
    tls: await tlsOptions(t),
    apiKey: t.apiKey,
  });
}
