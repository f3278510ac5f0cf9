import type { ExecResult } from '../sandbox/index.js';

/**
 * Connections kept on one tool call's row. The proxy already keeps up to 500 per command; a
 * row read with every conversation view stays small, and the first ones are those that say
 * what the command tried.
 */
export const MAX_STORED_CONNECTIONS = 200;

/** One connection as the tool call's record keeps it (the `ToolCall.network` column). */
export type StoredConnection = {
  protocol: string;
  host: string;
  port: number;
  address: string | null;
  allowed: boolean;
  reason: string | null;
  bytesIn: number;
  bytesOut: number;
  startedAt: string;
  durationMs: number;
};

// Type aliases, not interfaces: Prisma's JSON input type needs their implicit index signature.
export type StoredNetwork = {
  connections: StoredConnection[];
  /** Connections past the bound (the proxy's and this one's), counted, not kept. */
  dropped: number;
};

/**
 * What a command's network log becomes on its tool call: the first `MAX_STORED_CONNECTIONS`,
 * the rest counted; undefined when the provider saw no network (E2B, `shared`, `none`).
 */
export function storedNetwork(network: ExecResult['network']): StoredNetwork | undefined {
  if (!network) return undefined;
  const kept = network.connections.slice(0, MAX_STORED_CONNECTIONS);
  return {
    connections: kept.map((c) => ({
      protocol: c.protocol,
      host: c.host,
      port: c.port,
      address: c.address ?? null,
      allowed: c.allowed,
      reason: c.reason ?? null,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      startedAt: c.startedAt,
      durationMs: c.durationMs,
    })),
    dropped: network.dropped + (network.connections.length - kept.length),
  };
}
