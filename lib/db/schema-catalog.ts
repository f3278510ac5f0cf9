import type { SqlExecutor } from './migrate.js';

/**
 * A comparable description of the public schema from PostgreSQL's catalogs: enums, columns
 * (type, nullability, default), constraints and indexes. Two databases with equal
 * descriptions have the same schema, whatever SQL built them.
 */
export async function describeSchema(db: SqlExecutor): Promise<Record<string, string[]>> {
  const rows = async (sql: string) =>
    (await db.query<{ line: string }>(sql)).map((r) => r.line).sort();
  return {
    enums: await rows(`
      SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
      GROUP BY t.typname`),
    columns: await rows(`
      SELECT table_name || '.' || column_name || ' ' || udt_name || ' ' || is_nullable || ' '
        || coalesce(regexp_replace(column_default, '_seq''::regclass', ''), '-') AS line
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`),
    constraints: await rows(`
      SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) AS line
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' AND c.conrelid::regclass::text <> '_prisma_migrations'`),
    indexes: await rows(`
      SELECT indexdef AS line FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`),
  };
}
