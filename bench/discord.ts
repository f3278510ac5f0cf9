/**
 * Discord's interactions endpoint under load. The product runs in child processes, with
 * Discord pointed at a local fake (REST and gateway) and signed interactions sent from this
 * process. Prints p50/p95/p99 of the interaction response (a signed `/dynamiq` → the deferred
 * response, type 5) idle and at each concurrency (each simulated user sends its next command
 * when its answer has arrived), of the time until the answer reaches the fake through the
 * interaction token, and of a signed PING sent alongside: the same server's floor with no
 * database and no Temporal in the path. Discord's limit is 3 s; the target is p99 < 100 ms, which
 * the handler reaches because it waits on one database insert, never on Temporal.
 *
 *   npm run bench -- discord   (COMMANDS=200 CONCURRENCY=50 TOPOLOGY=split|one DATABASE=postgres|embedded)
 *
 * TOPOLOGY=split (default) runs the api role in one process and worker + gateway in another,
 * as production does (docker-compose.yml), on PostgreSQL and a Temporal dev server started here;
 * TOPOLOGY=one runs `npm start` (every role in one process), where the answers' work competes
 * with the endpoint for the same event loop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  discordKeyPair,
  interactionId,
  signedHeaders,
} from '../test/fakes/discord/interactions.js';
import { startFakeDiscord } from '../test/fakes/discord/server.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startEmbeddedTemporal } from '../lib/temporal/index.js';
import { formatMs, peakRssMiB, percentiles } from './stats.js';

const COMMANDS = Number(process.env.COMMANDS ?? 200);
const LEVELS = (process.env.CONCURRENCY ?? '50').split(',').map(Number);
const TOPOLOGY = process.env.TOPOLOGY ?? 'split';
const DATABASE = TOPOLOGY === 'split' ? 'postgres' : (process.env.DATABASE ?? 'postgres');
const WARMUP = 20;
const APP_ID = '1200000000000000002';
const GUILD = '1100000000000000001';
const TOKEN = 'bench-bot-token.discord';

const keys = discordKeyPair();
const llm = await startFakeOpenAI({ reply: () => 'ok, done.' });
const discord = await startFakeDiscord({
  botToken: TOKEN,
  applicationId: APP_ID,
  bot: { id: '1200000000000000001', username: 'Dynamiq' },
  guild: { id: GUILD, name: 'Bench', channels: [{ id: '1100000000000000100', name: 'bench' }] },
});
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
const db = DATABASE === 'postgres' ? await createTestDatabase() : null;
const temporal =
  TOPOLOGY === 'split'
    ? await startEmbeddedTemporal({
        dataDir: path.join(dataDir, 'temporal'),
        namespace: 'default',
        log: () => undefined,
      })
    : null;
const port = 20000 + Math.floor(Math.random() * 20000);
const env = {
  ...process.env,
  PORT: String(port),
  LLM_BASE_URL: llm.baseUrl,
  DYNAMIQ_API_TOKEN: 'bench-token-0123456789abcdefghij',
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnop',
  DYNAMIQ_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  DISCORD_BOT_TOKEN: TOKEN,
  DISCORD_PUBLIC_KEY: keys.publicKeyHex,
  DISCORD_APPLICATION_ID: APP_ID,
  DISCORD_API_URL: discord.apiUrl,
  ...(db ? { DATABASE_URL: db.url } : {}),
  ...(temporal
    ? { TEMPORAL_ADDRESS: temporal.address, DYNAMIQ_BROKER_URL: `http://127.0.0.1:${port}` }
    : {}),
  LOG_LEVEL: 'warn',
};

function start(roles: string[], name: string): Promise<ChildProcess> {
  const args = [
    '--import',
    'tsx',
    'bin/dynamiq.ts',
    'start',
    ...roles.flatMap((r) => ['--role', r]),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...env, DYNAMIQ_DATA_DIR: path.join(dataDir, name) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on(
      'data',
      (d: Buffer) => d.toString().includes('Dynamiq is running') && resolve(child),
    );
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}
const apps =
  TOPOLOGY === 'split'
    ? [await start(['api'], 'api'), await start(['worker', 'gateway'], 'worker')]
    : [await start([], 'app')];

const url = `http://127.0.0.1:${port}/discord/interactions`;

async function command(n: number): Promise<{ response: number; answered: number }> {
  const token = `bench-token-${n}-${Math.random().toString(36).slice(2)}`;
  discord.issueToken(token);
  const body = JSON.stringify({
    id: interactionId(),
    application_id: APP_ID,
    type: 2,
    token,
    version: 1,
    guild_id: GUILD,
    channel_id: '1100000000000000100',
    channel: { id: '1100000000000000100', type: 0 },
    member: { user: { id: String(1000000000000000000n + BigInt(n % 50)), username: `u${n % 50}` } },
    data: { name: 'dynamiq', type: 1, options: [{ name: 'prompt', type: 3, value: `bench ${n}` }] },
  });
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(keys.privateKey, body),
    body,
  });
  const text = await res.text();
  const response = performance.now() - t0;
  if (res.status !== 200 || text !== '{"type":5}')
    throw new Error(`command ${n}: ${res.status} ${text}`);
  await discord.waitFor(
    () => discord.ofToken(token).find((m) => m.content === 'ok, done.'),
    180_000,
  );
  return { response, answered: performance.now() - t0 };
}

async function ping(): Promise<number> {
  const body = JSON.stringify({
    id: interactionId(),
    application_id: APP_ID,
    type: 1,
    token: 'p',
    version: 1,
  });
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(keys.privateKey, body),
    body,
  });
  await res.text();
  return performance.now() - t0;
}

async function run(concurrency: number, total: number, offset: number) {
  const samples: Array<{ response: number; answered: number }> = [];
  const pings: number[] = [];
  let next = 0;
  let done = false;
  const pinger = (async () => {
    while (!done) {
      pings.push(await ping());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) samples.push(await command(offset + next++));
    }),
  );
  done = true;
  await pinger;
  return { samples, pings };
}

const line = (label: string, values: number[]) => {
  const p = percentiles(values);
  return `${label.padEnd(22)} p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}  (n=${values.length})`;
};

try {
  await run(4, WARMUP, 0);
  console.log(
    `discord interactions, zero-latency fake LLM and fake Discord, ${os.cpus().length} cores, ` +
      `${TOPOLOGY === 'split' ? 'api | worker+gateway processes, Temporal dev server' : 'all roles in one process, embedded Temporal'}, ` +
      `${db ? 'PostgreSQL' : 'embedded PostgreSQL'}`,
  );
  const idle = [];
  for (let i = 0; i < 50; i++) idle.push((await command(WARMUP + i)).response);
  console.log(`  idle   ${line('response (type 5)', idle)}`);
  let offset = WARMUP + 50;
  for (const c of LEVELS) {
    const started = performance.now();
    const { samples, pings } = await run(c, COMMANDS, offset);
    offset += COMMANDS;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  c=${String(c).padStart(2)}   ${line(
        'response (type 5)',
        samples.map((s) => s.response),
      )}`,
    );
    console.log(`  c=${String(c).padStart(2)}   ${line('PING alongside', pings)}`);
    console.log(
      `  c=${String(c).padStart(2)}   ${line(
        'answer posted',
        samples.map((s) => s.answered),
      )}`,
    );
    console.log(
      `  c=${String(c).padStart(2)}   throughput ${(samples.length / seconds).toFixed(1)} commands/s over ${samples.length}, every answer arrived`,
    );
  }
  for (const app of apps)
    console.log(`  peak RSS: pid ${app.pid} ${await peakRssMiB(app.pid!)} MiB`);
} finally {
  for (const app of apps) {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
  }
  await temporal?.stop();
  await llm.close();
  await discord.close();
  await db?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
