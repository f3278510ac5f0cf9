/**
 * The Slack front end under load: the product runs as `npm start` does (its own process,
 * embedded Temporal and the embedded PostgreSQL) with Slack pointed at a local fake Web API in this process.
 * Prints, per concurrency level, p50/p95/p99 of (a) the ack of a signed slash command and
 * (b) the time from sending the command to the first visible Slack call reaching the fake
 * (the thread's root message, setStatus or startStream). The answers themselves are paced by
 * Slack's tiers (chat.startStream / stopStream are Tier 2), so they are not timed here.
 *   npm run bench -- slack      (COMMANDS=200 CONCURRENCY=20,50 to change)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { slackSender } from '../test/fakes/slack/requests.js';
import { startFakeSlack } from '../test/fakes/slack/web-api.js';
import { embeddedDatabasePssMiB, formatMs, peakRssMiB, percentiles } from './stats.js';

const COMMANDS = Number(process.env.COMMANDS ?? 200);
const LEVELS = (process.env.CONCURRENCY ?? '20,50').split(',').map(Number);
const WARMUP = 20;
const SECRET = 'bench-signing-secret';
const TEAM = 'TBENCH01';
const VISIBLE = new Set(['chat.postMessage', 'assistant.threads.setStatus', 'chat.startStream']);

const llm = await startFakeOpenAI({ reply: () => 'ok, done.' });
const slack = await startFakeSlack({
  tokens: { 'xoxb-bench': { teamId: TEAM, botUserId: 'UBOT', botId: 'BBOT' } },
});
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const app = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
  env: {
    ...process.env,
    DYNAMIQ_DATA_DIR: dataDir,
    PORT: String(port),
    LLM_BASE_URL: llm.baseUrl,
    DYNAMIQ_API_TOKEN: 'bench-token-0123456789abcdefghij',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: slack.apiUrl,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  app.stdout!.on('data', (d: Buffer) => d.toString().includes('Dynamiq is running') && resolve());
  app.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
});
const send = slackSender(`http://127.0.0.1:${port}`, SECRET);

interface Sample {
  ack: number;
  visible: number;
}

async function command(n: number): Promise<Sample> {
  // One channel per command: chat.postMessage is limited per channel, as Slack limits it.
  const channel = `CB${n}`;
  const t0 = performance.now();
  const res = await send.command({
    team_id: TEAM,
    channel_id: channel,
    user_id: `U${n % 50}`,
    text: `bench ${n}`,
    trigger_id: `bench-${n}-${Math.random()}`,
  });
  const ack = performance.now() - t0;
  if (res.status !== 200) throw new Error(`command ${n} got ${res.status}: ${res.text}`);
  const visible = await slack.waitFor(
    () => slack.calls.find((c) => c.args.channel === channel && VISIBLE.has(c.method)),
    60_000,
  );
  return { ack, visible: visible.at - t0 };
}

async function run(concurrency: number, total: number, offset: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) samples.push(await command(offset + next++));
    }),
  );
  return samples;
}

try {
  await run(4, WARMUP, 0);
  console.log(
    `slack front end, zero-latency fake LLM and fake Slack, ${os.cpus().length} cores, embedded Temporal + embedded PostgreSQL`,
  );
  let offset = WARMUP;
  for (const c of LEVELS) {
    const started = performance.now();
    const samples = await run(c, COMMANDS, offset);
    offset += COMMANDS;
    const seconds = (performance.now() - started) / 1000;
    for (const [k, label] of [
      ['ack', 'ack'],
      ['visible', 'first visible'],
    ] as const) {
      const p = percentiles(samples.map((s) => s[k]));
      console.log(
        `  c=${String(c).padStart(2)} ${label.padEnd(14)} p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}`,
      );
    }
    console.log(
      `  c=${String(c).padStart(2)} throughput ${(samples.length / seconds).toFixed(1)} commands/s over ${samples.length}`,
    );
  }
  console.log(
    `  peak RSS: app ${await peakRssMiB(app.pid!)} MiB; embedded PostgreSQL now ${await embeddedDatabasePssMiB(dataDir)} MiB PSS`,
  );
} finally {
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await llm.close();
  await slack.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
