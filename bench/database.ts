/**
 * The embedded database, measured against what it replaced: PGlite (in-process WASM PostgreSQL,
 * the default before) and the product's embedded PostgreSQL (lib/db/embedded-postgres.ts, a
 * child process over a Unix socket), in the same run, on the same disk. For each: first open
 * (initdb) + migrations, a restart + migrations, one-row writes one at a time and 20 at once
 * (each its own transaction, as the product's inserts are), reads by primary key, and memory.
 *   npm run bench -- database     (OPS=1000 to change)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrate, openDatabase } from '../lib/db/index.js';
import { pgliteSql } from '../lib/db/import-pglite.js';
import type { SqlRunner } from '../lib/db/index.js';
import { embeddedDatabasePssMiB, formatMs, percentiles } from './stats.js';

const OPS = Number(process.env.OPS ?? 1000);
const CONCURRENCY = 20;

interface Engine {
  name: string;
  open(dir: string): Promise<{ sql: SqlRunner; close(): Promise<void> }>;
  /** MiB attributable to the engine while open. */
  memory(dir: string, rssBefore: number): Promise<string>;
}

const pglite: Engine = {
  name: 'PGlite 0.5 (in process)',
  async open(dir) {
    const lite = new PGlite(path.join(dir, 'pglite'));
    await lite.waitReady;
    return { sql: pgliteSql(lite), close: () => lite.close() };
  },
  async memory(_dir, rssBefore) {
    return `${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MiB added to this process's RSS`;
  },
};

const embedded: Engine = {
  name: 'embedded PostgreSQL 18 (child process, Unix socket)',
  async open(dir) {
    const db = await openDatabase({ dataDir: dir });
    return { sql: db.sql, close: () => db.close() };
  },
  async memory(dir, rssBefore) {
    const client = ((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0);
    return `${await embeddedDatabasePssMiB(dir)} MiB PSS in its processes, ${client} MiB added to this process's RSS`;
  },
};

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

async function measure(engine: Engine): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-bench-db-'));
  try {
    const rssBefore = process.memoryUsage().rss;
    const [first, firstMs] = await time(async () => {
      const db = await engine.open(dir);
      await migrate(db.sql);
      return db;
    });
    await first.close();
    const [db, restartMs] = await time(async () => {
      const opened = await engine.open(dir);
      await migrate(opened.sql);
      return opened;
    });
    const insert = (i: number) =>
      db.sql.query(
        `INSERT INTO "User" (id, "displayName", "updatedAt") VALUES (gen_random_uuid(), $1, now())
         RETURNING id`,
        [`bench ${i}`],
      );
    const one: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < OPS; i++) {
      const [rows, ms] = await time(() => insert(i));
      one.push(ms);
      ids.push((rows[0] as { id: string }).id);
    }
    const many: number[] = [];
    const [, manyMs] = await time(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < OPS) {
            const [, ms] = await time(() => insert(OPS + next++));
            many.push(ms);
          }
        }),
      );
    });
    const reads: number[] = [];
    for (const id of ids) {
      const [, ms] = await time(() => db.sql.query('SELECT * FROM "User" WHERE id = $1', [id]));
      reads.push(ms);
    }
    const memory = await engine.memory(dir, rssBefore);
    await db.close();
    const w1 = percentiles(one);
    const w20 = percentiles(many);
    const r = percentiles(reads);
    console.log(engine.name);
    console.log(`  first open + migrations ${formatMs(firstMs)}`);
    console.log(`  restart + migrations    ${formatMs(restartMs)}`);
    console.log(`  write, one at a time    p50 ${formatMs(w1.p50)}  p99 ${formatMs(w1.p99)}`);
    console.log(
      `  write, ${CONCURRENCY} at once       p50 ${formatMs(w20.p50)}  p99 ${formatMs(w20.p99)}  ${(OPS / (manyMs / 1000)).toFixed(0)} writes/s`,
    );
    console.log(`  read by id              p50 ${formatMs(r.p50)}  p99 ${formatMs(r.p99)}`);
    console.log(`  memory: ${memory}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `embedded database, ${OPS} operations each, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`,
);
await measure(pglite);
await measure(embedded);
