/**
 * The Teams front end's first response: the product runs as `npm start` does (its own process,
 * embedded Temporal and the embedded PostgreSQL) with Bot Framework pointed at local fakes in this process (the
 * OpenID issuer, the token endpoint, the connector). Prints, per concurrency level, p50/p95/p99
 * of (a) the HTTP answer to a signed personal-chat message and (b) the time from sending it to
 * the first activity at the fake connector (the typing indicator or the informative update).
 * Teams allows 15 s for a first response; the target is p99 < 1 s.
 *   npm run bench -- teams      (MESSAGES=100 CONCURRENCY=1,10 to change)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { person, personalMessage, teamsSender } from '../test/fakes/teams/activities.js';
import { startFakeConnector } from '../test/fakes/teams/connector.js';
import { startFakeIssuer } from '../test/fakes/teams/issuer.js';
import { embeddedDatabasePssMiB, formatMs, peakRssMiB, percentiles } from './stats.js';

const MESSAGES = Number(process.env.MESSAGES ?? 100);
const LEVELS = (process.env.CONCURRENCY ?? '1,10').split(',').map(Number);
const WARMUP = 10;
const APP_ID = '9f1c3e2a-0000-4000-8000-0000000be7c4';
const APP_PASSWORD = 'bench-client-secret';

const llm = await startFakeOpenAI({ reply: () => 'ok, done.' });
const issuer = await startFakeIssuer({ appId: APP_ID, appPassword: APP_PASSWORD });
const connector = await startFakeConnector({ acceptToken: (a) => issuer.issuedToken(a) });
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const app = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
  env: {
    ...process.env,
    DYNAMIQ_DATA_DIR: dataDir,
    PORT: String(port),
    LLM_BASE_URL: llm.baseUrl,
    DYNAMIQ_API_TOKEN: 'bench-token-0123456789abcdefghij',
    MICROSOFT_APP_ID: APP_ID,
    MICROSOFT_APP_PASSWORD: APP_PASSWORD,
    MICROSOFT_OPENID_METADATA_URL: issuer.openIdMetadataUrl,
    MICROSOFT_EMULATOR_OPENID_METADATA_URL: issuer.emulatorOpenIdMetadataUrl,
    MICROSOFT_TOKEN_URL: issuer.tokenUrl,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  app.stdout!.on('data', (d: Buffer) => d.toString().includes('Dynamiq is running') && resolve());
  app.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
});
const send = teamsSender(`http://127.0.0.1:${port}`, issuer);

interface Sample {
  ack: number;
  first: number;
}

async function message(n: number): Promise<Sample> {
  const activity = personalMessage(
    connector.serviceUrl,
    person(n % 50, `User ${n % 50}`),
    `bench ${n}`,
  );
  // Signing is the sender's work (Teams'), not the bot's: done before the clock starts.
  const authorization = await issuer.sign({ serviceUrl: activity.serviceUrl });
  const t0 = performance.now();
  const res = await send(activity, { authorization });
  const ack = performance.now() - t0;
  if (res.status !== 200) throw new Error(`message ${n} got ${res.status}: ${res.text}`);
  const first = await connector.waitFor(
    () => connector.calls.find((c) => c.conversationId === activity.conversation.id),
    60_000,
  );
  return { ack, first: first.at - t0 };
}

async function run(concurrency: number, total: number, offset: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) samples.push(await message(offset + next++));
    }),
  );
  return samples;
}

try {
  await run(2, WARMUP, 0);
  console.log(
    `teams front end, zero-latency fake LLM and fake Bot Framework, ${os.cpus().length} cores, embedded Temporal + embedded PostgreSQL`,
  );
  let offset = WARMUP;
  for (const c of LEVELS) {
    const started = performance.now();
    const samples = await run(c, MESSAGES, offset);
    offset += MESSAGES;
    const seconds = (performance.now() - started) / 1000;
    for (const [k, label] of [
      ['ack', 'HTTP answer'],
      ['first', 'first response'],
    ] as const) {
      const p = percentiles(samples.map((s) => s[k]));
      console.log(
        `  c=${String(c).padStart(2)} ${label.padEnd(15)} p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}`,
      );
    }
    console.log(
      `  c=${String(c).padStart(2)} throughput ${(samples.length / seconds).toFixed(1)} messages/s over ${samples.length}`,
    );
  }
  console.log(
    `  peak RSS: app ${await peakRssMiB(app.pid!)} MiB; embedded PostgreSQL now ${await embeddedDatabasePssMiB(dataDir)} MiB PSS`,
  );
} finally {
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await llm.close();
  await connector.close();
  await issuer.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
