/**
 * What one turn costs the systems a deployment pays for, measured (the input of docs/scaling.md):
 * Temporal history events and the billable actions they stand for, database transactions, rows
 * and WAL bytes, and the events a follower of the conversation receives (one event-bus message
 * each). For a plain answer and for the agent's three-tool turn (a sandbox command, an MCP call
 * to server-everything, a file read), in conversations that already exist, one turn at a time.
 * The product runs as `npm start` runs it (own process, embedded PostgreSQL) on a Temporal dev
 * server this bench starts.
 *   npm run bench -- capacity     (TURNS=20 to change)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import pg from 'pg';
import { startEmbeddedTemporal } from '../lib/temporal/embedded.js';
import { everythingStdio } from '../test/fakes/mcp/everything.js';
import { startFakeOpenAI } from '../test/fakes/openai.js';
import { parseSse } from '../test/helpers/sse.js';

const TURNS = Number(process.env.TURNS ?? 50);
const AGENT_PROMPT = 'use three tools';

const llm = await startFakeOpenAI({
  respond: (req) =>
    req.messages.some((m) => m.role === 'tool') ||
    !req.messages.some((m) => m.content === AGENT_PROMPT)
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
const temporalServer = await startEmbeddedTemporal({
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
    TEMPORAL_ADDRESS: temporalServer.address,
    MCP_LOCAL_SERVERS: JSON.stringify({ everything: everythingStdio }),
    SANDBOX_DISK_MB: '0',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_STARTS_PER_MINUTE: '1000000',
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
const password = (await fs.readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim();
const db = new pg.Client({
  connectionString: `postgresql://dynamiq:${encodeURIComponent(password)}@localhost:5432/postgres?host=${encodeURIComponent(path.join(dataDir, 'postgres', 'run'))}`,
});
await db.connect();
const client = new Client({
  connection: await Connection.connect({ address: temporalServer.address }),
});

interface DbCounters {
  xacts: number;
  inserted: number;
  updated: number;
  deleted: number;
  wal: bigint;
  tableBytes: number;
}
async function dbCounters(): Promise<DbCounters> {
  // Statistics reach pg_stat_database within a moment of each commit, not at once.
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<{
    xacts: string;
    inserted: string;
    updated: string;
    deleted: string;
    wal: string;
    tableBytes: string;
  }>(
    `SELECT xact_commit AS xacts, tup_inserted AS inserted, tup_updated AS updated,
            tup_deleted AS deleted, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal,
            (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'r')::bigint AS "tableBytes"
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const r = rows[0]!;
  return {
    xacts: Number(r.xacts),
    inserted: Number(r.inserted),
    updated: Number(r.updated),
    deleted: Number(r.deleted),
    wal: BigInt(r.wal),
    tableBytes: Number(r.tableBytes),
  };
}

async function newConversation(): Promise<{ id: string; workflowId: string }> {
  const res = await fetch(`${base}/api/conversations`, { method: 'POST', headers, body: '{}' });
  const { id } = ((await res.json()) as { conversation: { id: string } }).conversation;
  const { rows } = await db.query<{ workflowId: string }>(
    'SELECT "workflowId" FROM "Conversation" WHERE id = $1',
    [id],
  );
  return { id, workflowId: rows[0]!.workflowId };
}

/** One turn; the number of events its stream delivered. */
async function turn(conversationId: string, text: string): Promise<number> {
  const res = await fetch(`${base}/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text }),
  });
  const events = parseSse(await res.text());
  if (events.at(-1)?.event !== 'message') throw new Error(`turn ended without its message`);
  return events.length;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
async function history(workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/**
 * Temporal Cloud bills an action for: a workflow start or continue-as-new, each signal and each
 * accepted update, each activity scheduled, each local-activity marker, each timer, each child
 * workflow, each search-attribute upsert. Counted off the history's event types.
 */
const ACTION_EVENTS = new Set([
  'WorkflowExecutionStarted',
  'WorkflowExecutionContinuedAsNew',
  'WorkflowExecutionSignaled',
  'WorkflowExecutionUpdateAccepted',
  'ActivityTaskScheduled',
  'MarkerRecorded',
  'TimerStarted',
  'StartChildWorkflowExecutionInitiated',
  'UpsertWorkflowSearchAttributes',
]);
const typeName = (e: HistoryEvent) =>
  String(proto.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? e.eventType)
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

async function measure(label: string, text: string): Promise<void> {
  const conversation = await newConversation();
  await turn(conversation.id, 'warm up');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const eventsBefore = (await history(conversation.workflowId)).length;
  const dbBefore = await dbCounters();
  let followerEvents = 0;
  const started = performance.now();
  for (let i = 0; i < TURNS; i++) followerEvents += await turn(conversation.id, text);
  const seconds = (performance.now() - started) / 1000;
  // Let the turn's last writes (usage, the turn row) land before counting.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const dbAfter = await dbCounters();
  const events = (await history(conversation.workflowId)).slice(eventsBefore);
  const actions = events.filter((e) => ACTION_EVENTS.has(typeName(e))).length;
  const per = (n: number | bigint) => (Number(n) / TURNS).toFixed(1);
  const byType = new Map<string, number>();
  for (const e of events) byType.set(typeName(e), (byType.get(typeName(e)) ?? 0) + 1);
  console.log(`${label} (${TURNS} turns, ${(TURNS / seconds).toFixed(1)} turns/s one at a time)`);
  console.log(`  Temporal history events per turn: ${per(events.length)}`);
  console.log(
    `    ${[...byType]
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${per(n)}`)
      .join(', ')}`,
  );
  console.log(`  Temporal actions per turn (Cloud billing, from event types): ${per(actions)}`);
  console.log(
    `  database per turn: ${per(dbAfter.xacts - dbBefore.xacts)} transactions, ` +
      `${per(dbAfter.inserted - dbBefore.inserted)} rows inserted, ` +
      `${per(dbAfter.updated - dbBefore.updated)} updated, ` +
      `${per(dbAfter.deleted - dbBefore.deleted)} deleted, ` +
      `${(Number(dbAfter.wal - dbBefore.wal) / TURNS / 1024).toFixed(1)} KiB of WAL, ` +
      `tables and indexes grew ${((dbAfter.tableBytes - dbBefore.tableBytes) / TURNS / 1024).toFixed(1)} KiB (page-granular: read over many turns)`,
  );
  console.log(`  events to one follower per turn (event-bus messages): ${per(followerEvents)}`);
}

try {
  console.log(
    `capacity inputs, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; each counter includes the product's own periodic work during the run`,
  );
  await measure('plain answer', 'hello');
  await measure('agent turn, three tool calls', AGENT_PROMPT);
} finally {
  await db.end();
  app.kill('SIGTERM');
  await new Promise((r) => app.once('exit', r));
  await client.connection.close();
  await temporalServer.stop();
  await llm.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
