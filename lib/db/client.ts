import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { PrismaClient } from './generated/client.js';
import type { SqlRunner } from './migrate.js';

export type Db = PrismaClient;

/** An open database: the Prisma client plus raw SQL for migrations and probes. */
export interface Database {
  prisma: PrismaClient;
  /** `embedded`: the PostgreSQL this process runs over its data folder. */
  kind: 'postgres' | 'embedded';
  sql: SqlRunner;
  close(): Promise<void>;
}

/**
 * PostgreSQL at `url` when given; otherwise the embedded PostgreSQL over `<dataDir>/postgres`,
 * started by this process; with neither, an embedded one in a temporary folder removed on close.
 * Either way it is the same `pg` pool and Prisma adapter: one code path.
 */
export async function openDatabase(opts: {
  url?: string;
  /** The data folder the embedded PostgreSQL keeps its files under; unset: a temporary one. */
  dataDir?: string;
  /** Told when PostgreSQL drops an idle pooled connection (a restart, a failover). */
  onIdleError?: (err: Error) => void;
  /** The embedded server's own log lines. */
  log?: (line: string) => void;
}): Promise<Database> {
  const onIdleError = opts.onIdleError ?? (() => {});
  if (opts.url) return openPostgres(opts.url, onIdleError, 'postgres', async () => {});
  const temporary = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-db-')));
  let server;
  try {
    server = await startEmbeddedPostgres({ dataDir, ...(opts.log ? { log: opts.log } : {}) });
  } catch (err) {
    if (temporary) await fs.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return openPostgres(server.url, onIdleError, 'embedded', async () => {
    await server.stop();
    if (temporary) await fs.rm(dataDir, { recursive: true, force: true });
  });
}

async function openPostgres(
  url: string,
  onIdleError: (err: Error) => void,
  kind: Database['kind'],
  afterClose: () => Promise<void>,
): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that the server disconnects emits 'error' on the pool; unhandled, that would
  // end the process. The pool has already dropped the client, and the next query reconnects.
  pool.on('error', onIdleError);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind,
    sql: {
      async exec(text) {
        await pool.query(text);
      },
      async query<T>(text: string, params: unknown[] = []) {
        return (await pool.query(text, params)).rows as T[];
      },
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await fn({
            exec: async (t) => void (await client.query(t)),
            query: async <T>(t: string, p: unknown[] = []) =>
              (await client.query(t, p)).rows as T[],
          });
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        } finally {
          client.release();
        }
      },
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await afterClose();
    },
  };
}
