import fs from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/index.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
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
  };
}

async function tlsOptions(t: TemporalTarget) {
  if (!t.tls) return undefined;
  if (t.tlsCertPath && t.tlsKeyPath) {
    const [crt, key] = await Promise.all([fs.readFile(t.tlsCertPath), fs.readFile(t.tlsKeyPath)]);
    return { clientCertPair: { crt, key } };
  }
  return true as const;
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
