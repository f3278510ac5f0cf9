/**
 * What the MCP layer adds to a tool call: server-everything's `echo` called through the registry
 * (tool cache, argument check, session pool, result bounding) against the same call with a bare
 * SDK client, over stdio and over Streamable HTTP on loopback; and tools/list from a warm cache.
 *   npx tsx bench/mcp.ts        (RUNS=500 to change; npm run bench -- mcp)
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { performance } from 'node:perf_hooks';
import { LocalProvider, McpRegistry } from '../mcp/index.js';
import type { LocalServerConfig } from '../mcp/index.js';
import { everythingStdio, startEverythingHttp } from '../test/fakes/mcp/everything.js';
import { formatMs, percentiles } from './stats.js';

const RUNS = Number(process.env.RUNS ?? 500);
const WARMUP = 50;
const args = { message: 'benchmark' };

function report(label: string, samples: number[]) {
  const { p50, p99 } = percentiles(samples);
  console.log(
    `  ${label.padEnd(40)} p50 ${formatMs(p50)}   p99 ${formatMs(p99)}   (n=${samples.length})`,
  );
  return p50;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Alternates the two paths call by call so drift in the machine's load hits both alike. */
async function compare(label: string, server: LocalServerConfig, rawTransport: () => Transport) {
  const raw = new Client({ name: 'bench', version: '0' });
  await raw.connect(rawTransport());
  const registry = new McpRegistry({
    providers: [new LocalProvider({ servers: { everything: server } })],
  });
  const viaRegistry = () => registry.callTool('bench', 'everything', 'echo', args);
  const viaSdk = () => raw.callTool({ name: 'echo', arguments: args });
  for (let i = 0; i < WARMUP; i++) await Promise.all([viaRegistry(), viaSdk()]);
  const sdk: number[] = [];
  const ours: number[] = [];
  const cachedList: number[] = [];
  const sdkList: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    sdk.push(await timed(viaSdk));
    ours.push(await timed(viaRegistry));
    if (i % 5 === 0) {
      cachedList.push(await timed(() => registry.listTools('bench', 'everything')));
      sdkList.push(await timed(() => raw.listTools()));
    }
  }
  console.log(`${label}`);
  const base = report('tools/call, bare SDK client', sdk);
  const mine = report('tools/call, through the registry', ours);
  console.log(`  ${'added by the platform (p50)'.padEnd(40)} ${formatMs(mine - base)}`);
  report('tools/list, bare SDK client (no cache)', sdkList);
  report('tools/list, registry, warm cache', cachedList);
  await raw.close();
  await registry.close();
}

const http = await startEverythingHttp('streamableHttp');
try {
  console.log(`MCP tool-call overhead, server-everything, ${RUNS} calls per path`);
  await compare(
    'stdio',
    everythingStdio,
    () => new StdioClientTransport({ ...everythingStdio, stderr: 'ignore' }),
  );
  await compare(
    'Streamable HTTP (127.0.0.1)',
    { url: http.url },
    () => new StreamableHTTPClientTransport(new URL(http.url)),
  );
} finally {
  await http.close();
}
