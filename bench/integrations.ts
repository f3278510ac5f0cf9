/**
 * GET /api/integrations for a user with 10 connections: the integration routes on a real
 * PostgreSQL database (127.0.0.1:5432, a fresh database), loaded from a second process on
 * loopback at a fixed rate (open loop: requests are sent on schedule whether or not earlier ones
 * have answered, so slow answers show as latency rather than as a lower rate).
 * Prints p50/p95/p99/max latency, the achieved rate and errors.
 *   npm run bench -- integrations      (RATE=200 SECONDS=10 to change)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sealConnectionSecret } from '../integrations/connections/secrets.js';
import { catalog } from '../integrations/index.js';
import { freshDatabase, startIntegrationsServer } from '../test/fakes/oauth/harness.js';
import { formatMs, percentiles } from './stats.js';

const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 10);
const WARMUP_REQUESTS = 200;

const db = await freshDatabase();
const server = await startIntegrationsServer({ database: db.database });
const prisma = db.database.prisma;
const ids = catalog
  // Connections stored here; mcp-type accounts live at Pipedream/Composio (not configured here).
  .filter((i) => i.enabled && i.authType !== 'cloud_role' && i.providerType !== 'mcp')
  .slice(0, 10)
  .map((i) => i.id);
for (const integrationId of ids) {
  const id = randomUUID();
  await prisma.connection.create({
    data: {
      id,
      userId: server.admin.id,
      integrationId,
      accountLabel: `${integrationId}-account`,
      scopes: ['read', 'write'],
      expiresAt: new Date(Date.now() + 3600_000),
      ...sealConnectionSecret(server.keyring, id, {
        kind: 'oauth',
        accessToken: `bench-access-${id}`,
        refreshToken: `bench-refresh-${id}`,
      }),
    },
  });
}

// The load generator: plain JavaScript so its process starts fast and adds no transpiler.
const loader = `
const { URL: url, TOKEN: token, RATE, SECONDS, WARMUP } = process.env;
const headers = { authorization: 'Bearer ' + token };
const once = async () => {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.json();
  const ok = res.status === 200 && body.integrations.filter((i) => i.status === 'connected').length === 10;
  return { ms: performance.now() - t0, ok };
};
for (let i = 0; i < Number(WARMUP); i++) await once();
const total = Number(RATE) * Number(SECONDS);
const interval = 1000 / Number(RATE);
const start = performance.now();
const pending = [];
for (let i = 0; i < total; i++) {
  const due = start + i * interval;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(once().catch(() => ({ ms: NaN, ok: false })));
}
const results = await Promise.all(pending);
const elapsed = (performance.now() - start) / 1000;
process.stdout.write(JSON.stringify({ ms: results.map((r) => r.ms), errors: results.filter((r) => !r.ok).length, elapsed }));
`;

const child = spawn(process.execPath, ['--input-type=module', '-e', loader], {
  env: {
    ...process.env,
    URL: `${server.url}/api/integrations`,
    TOKEN: server.token,
    RATE: String(RATE),
    SECONDS: String(SECONDS),
    WARMUP: String(WARMUP_REQUESTS),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
child.stdout.on('data', (d: Buffer) => (output += d.toString()));
const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
await server.close();
await db.drop();
if (code !== 0) throw new Error(`load generator exited with ${code}`);

const { ms, errors, elapsed } = JSON.parse(output) as {
  ms: number[];
  errors: number;
  elapsed: number;
};
const p = percentiles(ms);
console.log(
  `GET /api/integrations, ${ids.length} connections, ${catalog.length} catalog entries, ` +
    `PostgreSQL, loader in a second process on loopback`,
);
console.log(
  `  ${ms.length} requests at ${RATE}/s for ${SECONDS} s (achieved ${(ms.length / elapsed).toFixed(0)}/s), ${errors} errors`,
);
console.log(
  `  p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}  max ${formatMs(Math.max(...ms))}`,
);
if (errors) process.exitCode = 1;
