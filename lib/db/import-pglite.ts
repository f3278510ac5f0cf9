import fs from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from './client.js';
import { migrate } from './migrate.js';
import type { SqlExecutor, SqlRunner } from './migrate.js';

/**
 * Earlier versions kept the embedded database in PGlite under `<dataDir>/pglite`. The first start
 * on the embedded PostgreSQL copies every row across (in one transaction, so a failed copy leaves
 * the new database empty and is tried again next start), then renames the old folder to
 * `pglite.imported` so it is kept, not read again.
 */
export async function importPgliteData(
  dataDir: string,
  target: Database,
  log: (line: string) => void,
): Promise<{ tables: number; rows: number } | undefined> {
  const source = path.join(dataDir, 'pglite');
  if (!(await isDirectory(source))) return undefined;
  const done = path.join(dataDir, 'pglite.imported');
  const [counted] = await target.sql.query<{ users: number }>(
    'SELECT count(*)::int AS users FROM "User"',
  );
  if (counted!.users > 0) {
    // Copied by a run that stopped before the rename; the rows are here already.
    await fs.rename(source, done);
    return undefined;
  }
  log(`copying the PGlite database in ${source} into the embedded PostgreSQL`);
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = new PGlite(source);
  try {
    await lite.waitReady;
    // Bring the old database to the same schema first, so every column lines up.
    await migrate(pgliteSql(lite));
    const tables = (
      await lite.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name <> '_prisma_migrations' ORDER BY table_name`,
      )
    ).rows.map((r) => r.name);
    let rows = 0;
    await target.sql.transaction(async (tx) => {
      // Rows go in table by table, not in foreign-key order: foreign keys are triggers, which
      // the replica role skips; the rows come from a database that enforced them.
      await tx.exec("SET LOCAL session_replication_role = 'replica'");
      for (const table of tables) rows += await copyTable(lite, tx, table);
      await resetSequences(tx);
    });
    log(
      `copied ${rows} rows in ${tables.length} tables from PGlite; kept the old folder as ${done}`,
    );
    await lite.close();
    await fs.rename(source, done);
    return { tables: tables.length, rows };
  } finally {
    if (!lite.closed) await lite.close();
  }
}

/** PGlite behind the SqlRunner that migrations (and the database bench) use. */
export function pgliteSql(lite: PGlite): SqlRunner {
  return {
    exec: async (t) => void (await lite.exec(t)),
    query: async <T>(t: string, p: unknown[] = []) => (await lite.query<T>(t, p)).rows,
    transaction: (fn) =>
      lite.transaction(async (tx) => {
        await fn({
          exec: async (t) => void (await tx.exec(t)),
          query: async <T>(t: string, p: unknown[] = []) => (await tx.query<T>(t, p)).rows,
        });
      }),
  };
}

const BATCH = 500;

async function copyTable(lite: PGlite, tx: SqlExecutor, table: string): Promise<number> {
  const ident = `"${table.replaceAll('"', '""')}"`;
  let copied = 0;
  for (;;) {
    // JSON carries every type across as text PostgreSQL reads back (bytea as \x hex, timestamps).
    const { rows } = await lite.query<{ batch: string | null }>(
      `SELECT json_agg(t)::text AS batch FROM
         (SELECT * FROM ${ident} ORDER BY ctid LIMIT ${BATCH} OFFSET ${copied}) t`,
    );
    const batch = rows[0]?.batch;
    if (!batch) return copied;
    const [inserted] = await tx.query<{ n: number }>(
      `WITH ins AS (INSERT INTO ${ident}
         SELECT * FROM json_populate_recordset(NULL::${ident}, $1::json) RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [batch],
    );
    copied += inserted!.n;
    if (inserted!.n < BATCH) return copied;
  }
}

/** Serial columns (Message.seq) continue after the copied rows, not from 1. */
async function resetSequences(tx: SqlExecutor): Promise<void> {
  const owned = await tx.query<{ seq: string; tbl: string; col: string }>(
    `SELECT s.relname AS seq, t.relname AS tbl, a.attname AS col
       FROM pg_class s
       JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a'
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relkind = 'S'`,
  );
  for (const { seq, tbl, col } of owned) {
    await tx.query(
      `SELECT setval($1::regclass, coalesce((SELECT max("${col}") FROM "${tbl}"), 0) + 1, false)`,
      [`"${seq}"`],
    );
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
