/**
 * Platform overhead of one conversation turn, with a zero-latency fake LLM: the product runs
 * as `npm start` does (its own process, embedded Temporal and PGlite), driven over HTTP.
 * Prints, per concurrency level, p50/p95/p99 from sending the POST to (a) the `accepted`
 * SSE event, (b) the LLM request reaching the fake, (c) the final SSE event; and peak RSS.
 *   npm run bench -- turn        (TURNS=200 CONCURRENCY=1,20 to change)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { parseSse } from '../test/helpers/sse.js';
import { percentiles, peakRssMiB, formatMs } from './stats.js';

const TURNS = Number(process.env.TURNS ?? 200);
const LEVELS = (process.env.CONCURRENCY ?? '1,20').split(',').map(Number);
const WARMUP = 20;

const llm = await startFakeOpenAI({ reply: () => 'ok, done.' });
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
const token = 'bench-token-0123456789abcdefghij';
const port = 20000 + Math.floor(Math.random() * 20000);
const app = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
  env: {
    ...process.env,
    DYNAMIQ_DATA_DIR: dataDir,
    PORT: String(port),
    LLM_BASE_URL: llm.baseUrl,
    DYNAMIQ_API_TOKEN: token,
    // One user and one address send every request here: lift the per-user and per-address caps.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_STARTS_PER_MINUTE: '1000000',
    MAX_STREAMS_PER_USER: '10000',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  app.stdout!.on('data', (d: Buffer) => d.toString().includes('Dynamiq is running') && resolve());
  app.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
});
const base = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function newConversation(): Promise<string> {
  const res = await fetch(`${base}/api/conversations`, { method: 'POST', headers, body: '{}' });
  return ((await res.json()) as { conversation: { id: string } }).conversation.id;
}

interface Sample {
  accepted: number;
  llm: number;
  final: number;
}

async function turn(conversationId: string, n: number): Promise<Sample> {
  const text = `bench turn ${n} ${Math.random()}`;
  const t0 = performance.now();
  const res = await fetch(`${base}/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text }),
  });
  let accepted = NaN;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    buffered += decoder.decode(chunk, { stream: true });
    if (Number.isNaN(accepted) && buffered.includes('event: accepted'))
      accepted = performance.now() - t0;
  }
  const final = performance.now() - t0;
  const events = parseSse(buffered);
  if (events.at(-1)?.event !== 'message')
    throw new Error(`turn ${n} ended without its message: ${buffered}`);
  const req = llm.requests.find((r) => r.messages.at(-1)?.content === text);
  return { accepted, llm: req ? req.receivedAt - t0 : NaN, final };
}

async function run(concurrency: number, turns: number): Promise<Sample[]> {
  const conversations = await Promise.all(Array.from({ length: concurrency }, newConversation));
  const samples: Sample[] = [];
  let next = 0;
  await Promise.all(
    conversations.map(async (id) => {
      while (next < turns) samples.push(await turn(id, next++));
    }),
  );
  return samples;
}

try {
  await run(4, WARMUP);
  console.log(
    `turn overhead, zero-latency fake LLM, ${os.cpus().length} cores, embedded Temporal + PGlite`,
  );
  for (const c of LEVELS) {
    llm.requests.length = 0;
    const started = performance.now();
    const samples = await run(c, TURNS);
    const seconds = (performance.now() - started) / 1000;
    for (const k of ['accepted', 'llm', 'final'] as const) {
      const p = percentiles(samples.map((s) => s[k]));
      console.log(
        `  c=${String(c).padStart(2)} ${k.padEnd(8)} p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}`,
      );
    }
    console.log(
      `  c=${String(c).padStart(2)} throughput ${(samples.length / seconds).toFixed(1)} turns/s over ${samples.length} turns`,
    );
  }
  console.log(`  peak RSS: app ${await peakRssMiB(app.pid!)} MiB`);
} finally {
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await llm.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
