import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';
import type { SqlRunner } from './migrate.js';

export type Db = PrismaClient;

/** An open database: the Prisma client plus raw SQL for migrations and probes. */
export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'pglite';
  sql: SqlRunner;
  close(): Promise<void>;
}

/**
 * PostgreSQL when a URL is given, otherwise PGlite persisted in `<dataDir>/pglite`, or, with
 * neither, an in-memory PGlite that is gone once closed.
 */
export async function openDatabase(opts: {
  url?: string;
  /** The data folder PGlite keeps its files under; unset: in memory. */
  dataDir?: string;
  /** Told when PostgreSQL drops an idle pooled connection (a restart, a failover). */
  onIdleError?: (err: Error) => void;
}): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.onIdleError ?? (() => {}));
  return openPglite(opts.dataDir);
}

async function openPostgres(url: string, onIdleError: (err: Error) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that the server disconnects emits 'error' on the pool; unhandled, that would
  // end the process. The pool has already dropped the client, and the next query reconnects.
  pool.on('error', onIdleError);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: 'postgres',
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
    },
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let pglite: PGlite;
  if (dataDir === undefined) {
    pglite = new PGlite();
  } else {
    const dir = path.join(dataDir, 'pglite');
    await fs.mkdir(dir, { recursive: true });
    pglite = new PGlite(dir);
  }
  await pglite.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: 'pglite',
    sql: {
      async exec(text) {
        await pglite.exec(text);
      },
      async query<T>(text: string, params: unknown[] = []) {
        return (await pglite.query<T>(text, params)).rows;
      },
      async transaction(fn) {
        await pglite.transaction(async (tx) => {
          await fn({
            exec: async (t) => void (await tx.exec(t)),
            query: async <T>(t: string, p: unknown[] = []) => (await tx.query<T>(t, p)).rows,
          });
        });
      },
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
