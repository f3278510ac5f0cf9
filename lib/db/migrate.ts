import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

export interface SqlExecutor {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface SqlRunner extends SqlExecutor {
  transaction(fn: (tx: SqlExecutor) => Promise<void>): Promise<void>;
}

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma/migrations');

/**
 * Applies pending `prisma/migrations/<name>/migration.sql` files, each in its own
 * transaction, and records them in `_prisma_migrations` exactly as `prisma migrate deploy`
 * does (sha256 checksum, one applied step). We run them ourselves because Prisma 7's CLI
 * needs a native engine download to migrate, which fresh or offline machines lack; the
 * folder stays standard, so `prisma migrate status/deploy` agree where they can run.
 */
export async function migrate(
  db: SqlRunner,
  dir: string = MIGRATIONS_DIR,
): Promise<{ applied: string[] }> {
  await db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
  const done = await db.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const doneByName = new Map(done.map((r) => [r.migration_name, r.checksum]));
  const names = (await fs.readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  const applied: string[] = [];
  for (const name of names) {
    const sql = await fs.readFile(path.join(dir, name, 'migration.sql'), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const previous = doneByName.get(name);
    if (previous !== undefined) {
      if (previous !== checksum) {
        throw new Error(
          `Migration ${name} was changed after it was applied (checksum differs). ` +
            'Add a new migration instead of editing an applied one.',
        );
      }
      continue;
    }
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
         VALUES ($1, $2, now(), $3, 1, now())`,
        [randomUUID(), checksum, name],
      );
    });
    applied.push(name);
  }
  return { applied };
}
