/**
 * Platform overhead of one conversation turn, with a zero-latency fake LLM: the product runs
 * as `npm start` does (its own process, the embedded PostgreSQL) on a Temporal dev server this bench starts,
 * driven over HTTP. Prints, per concurrency level, p50/p95/p99 from sending the POST to (a)
 * the `accepted` SSE event, (b) the LLM request reaching the fake, (c) the final SSE event;
 * and peak RSS. Then, on the same server, the bare baseline (bench/bare): a workflow per
 * conversation whose `turn` update makes the activity calls a product turn recorded, doing
 * nothing, with worker and client in this process; and the ratio of the two.
 *   npm run bench -- turn        (TURNS=200 CONCURRENCY=1,20 to change)
 * With TURN=agent each turn is the agent's: the LLM asks for three tools at once (a command in
 * the local sandbox, an MCP call to server-everything, a file read), then answers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startEmbeddedTemporal } from '../lib/temporal/embedded.js';
import { everythingStdio } from '../test/fakes/mcp/everything.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { parseSse } from '../test/helpers/sse.js';
import * as bareActivities from './bare/activities.js';
import { activityShape } from './bare/shape.js';
import type { ActivityGroup } from './bare/shape.js';
import { turnUpdate } from './bare/workflow.js';
import { embeddedDatabasePssMiB, percentiles, peakRssMiB, formatMs } from './stats.js';

// The baseline's worker logs at warn, like the product's.
Runtime.install({ logger: new DefaultLogger('WARN') });

const TURNS = Number(process.env.TURNS ?? 200);
const LEVELS = (process.env.CONCURRENCY ?? '1,20').split(',').map(Number);
const WARMUP = 20;

const AGENT = process.env.TURN === 'agent';
const llm = await startFakeOpenAI({
  respond: (req) =>
    !AGENT || req.messages.some((m) => m.role === 'tool')
      ? { text: 'ok, done.' }
      : {
          toolCalls: [
            { name: 'run_command', arguments: { command: 'echo ok' } },
            { name: 'everything__echo', arguments: { message: 'ok' } },
            { name: 'read_file', arguments: { path: '/etc/os-release' } },
          ],
        },
});
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-'));
// The sandbox user passes through the data folder to reach its sandbox.
await fs.chmod(dataDir, 0o711);
// The server `npm start` would embed, started here so the baseline runs on the same one.
const temporal = await startEmbeddedTemporal({
  dataDir: path.join(dataDir, 'temporal'),
  namespace: 'default',
  log: () => undefined,
});
const token = 'bench-token-0123456789abcdefghij';
const port = 20000 + Math.floor(Math.random() * 20000);
const app = spawn(process.execPath, ['--import', 'tsx', 'bin/dynamiq.ts', 'start'], {
  env: {
    ...process.env,
    DYNAMIQ_DATA_DIR: dataDir,
    PORT: String(port),
    LLM_BASE_URL: llm.baseUrl,
    DYNAMIQ_API_TOKEN: token,
    TEMPORAL_ADDRESS: temporal.address,
    // Every turn here is the same user's: let them all run at once, as a bare worker would.
    AGENT_MAX_CONCURRENT_TURNS: '100',
    ...(AGENT && {
      MCP_LOCAL_SERVERS: JSON.stringify({ everything: everythingStdio }),
      // Plain folders: a loop-mounted disk per sandbox is set up once per conversation.
      SANDBOX_DISK_MB: '0',
    }),
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

interface Figures {
  p50: number;
  p99: number;
  throughput: number;
}

/** A product turn's activity calls, read off the history of a conversation that ran one turn. */
async function productShape(client: Client): Promise<ActivityGroup[]> {
  const before = new Set<string>();
  for await (const w of client.workflow.list({ query: `WorkflowType = 'conversationWorkflow'` }))
    before.add(w.workflowId);
  await turn(await newConversation(), -1);
  for await (const w of client.workflow.list({ query: `WorkflowType = 'conversationWorkflow'` })) {
    if (before.has(w.workflowId)) continue;
    return activityShape(
      (await client.workflow.getHandle(w.workflowId).fetchHistory()).events ?? [],
    );
  }
  throw new Error('the shape turn left no conversation workflow');
}

/** The bare baseline at `concurrency` conversations: one update per turn. */
async function runBare(
  client: Client,
  taskQueue: string,
  shape: ActivityGroup[],
  concurrency: number,
  turns: number,
) {
  const handles = await Promise.all(
    Array.from({ length: concurrency }, () =>
      client.workflow.start('bareConversation', {
        taskQueue,
        workflowId: `bare-${randomUUID()}`,
        args: [shape],
      }),
    ),
  );
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    handles.map(async (h) => {
      while (next < turns) {
        const n = next++;
        const t0 = performance.now();
        await h.executeUpdate(turnUpdate, { args: [n] });
        samples.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(handles.map((h) => h.terminate()));
  return { samples, seconds };
}

const product = new Map<number, Figures>();
const bare = new Map<number, Figures>();
const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
try {
  await run(4, WARMUP);
  const shape = await productShape(client);
  console.log(
    `${AGENT ? 'agent turn (3 tool calls)' : 'turn'} overhead, zero-latency fake LLM, ${os.cpus().length} cores, Temporal dev server + embedded PostgreSQL, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `  a turn's activity calls (parallel ones in brackets): ${shape.map((g) => (g.length > 1 ? `[${g.join(', ')}]` : g[0])).join(', ')}`,
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
    const p = percentiles(samples.map((s) => s.final));
    product.set(c, { p50: p.p50, p99: p.p99, throughput: samples.length / seconds });
  }
  console.log(
    `  peak RSS: app ${await peakRssMiB(app.pid!)} MiB; embedded PostgreSQL now ${await embeddedDatabasePssMiB(dataDir)} MiB PSS`,
  );

  // The baseline, on the same server, after the product has finished its runs.
  const connection = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bare-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./bare/workflow.ts', import.meta.url)),
    activities: bareActivities,
  });
  await worker.runUntil(async () => {
    await runBare(client, taskQueue, shape, 4, WARMUP);
    console.log(
      'bare Temporal, the same activity calls as no-ops, worker and client in one process',
    );
    for (const c of LEVELS) {
      const { samples, seconds } = await runBare(client, taskQueue, shape, c, TURNS);
      const p = percentiles(samples);
      bare.set(c, { p50: p.p50, p99: p.p99, throughput: samples.length / seconds });
      console.log(
        `  c=${String(c).padStart(2)} turn     p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}`,
      );
      console.log(
        `  c=${String(c).padStart(2)} throughput ${(samples.length / seconds).toFixed(1)} turns/s over ${samples.length} turns`,
      );
    }
  });
  await connection.close();
  const ratio = (c: number, k: keyof Figures) => (product.get(c)![k] / bare.get(c)![k]).toFixed(2);
  const [low, high] = [LEVELS[0]!, LEVELS.at(-1)!];
  console.log(
    `ratio to bare Temporal: c=${low} p50 ${ratio(low, 'p50')}, c=${high} p50 ${ratio(high, 'p50')}, throughput ${ratio(high, 'throughput')}`,
  );
  for (const c of LEVELS)
    console.log(
      `  c=${c}: p50 ${ratio(c, 'p50')}x  p99 ${ratio(c, 'p99')}x  throughput ${ratio(c, 'throughput')}x`,
    );
} finally {
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await client.connection.close();
  await temporal.stop();
  await llm.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
