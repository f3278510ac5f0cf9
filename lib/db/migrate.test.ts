import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas } from '../../scripts/prisma6.js';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import { openDatabase } from './client.js';
import type { Database } from './client.js';
import { MIGRATIONS_DIR, migrate } from './migrate.js';
import { describeSchema } from './schema-catalog.js';

type Kind = 'embedded' | 'postgres';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freshDatabase(kind: Kind): Promise<Database> {
  if (kind === 'embedded') {
    const db = await openDatabase({});
    cleanups.push(() => db.close());
    return db;
  }
  const pg = await createTestDatabase();
  const db = await openDatabase({ url: pg.url });
  cleanups.push(async () => {
    await db.close();
    await pg.drop();
  });
  return db;
}

// The SQL Prisma itself writes for schema.prisma on an empty database (computed once: slow).
let schemaSql: string;
beforeAll(async () => {
  schemaSql = await diffSchemas(
    null,
    await fs.readFile(path.join(MIGRATIONS_DIR, '../schema.prisma'), 'utf8'),
  );
});

describe.each<Kind>(['embedded', 'postgres'])('migrations on %s', (kind) => {
  it('produce exactly the schema that prisma/schema.prisma describes', async () => {
    const migrated = await freshDatabase(kind);
    await migrate(migrated.sql);
    const expected = await freshDatabase(kind);
    await expected.sql.exec(schemaSql);
    const got = await describeSchema(migrated.sql);
    expect(got.columns!.length).toBeGreaterThan(20);
    expect(got).toEqual(await describeSchema(expected.sql));
  });

  it('are recorded as Prisma records them and applied once', async () => {
    const db = await freshDatabase(kind);
    const first = await migrate(db.sql);
    expect(first.applied.length).toBeGreaterThan(0);
    expect((await migrate(db.sql)).applied).toEqual([]);
    const rows = await db.sql.query<{
      migration_name: string;
      checksum: string;
      applied_steps_count: number;
    }>(
      'SELECT migration_name, checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    for (const row of rows) {
      const file = await fs.readFile(
        path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'),
      );
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('refuse to run when an applied migration was edited, and a failed one leaves nothing behind', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-migrations-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.mkdir(path.join(dir, '001_a'));
    await fs.writeFile(path.join(dir, '001_a/migration.sql'), 'CREATE TABLE a (id int);');
    const db = await freshDatabase(kind);
    await migrate(db.sql, dir);

    await fs.writeFile(path.join(dir, '001_a/migration.sql'), 'CREATE TABLE a (id bigint);');
    await expect(migrate(db.sql, dir)).rejects.toThrow(/001_a was changed/);

    await fs.writeFile(path.join(dir, '001_a/migration.sql'), 'CREATE TABLE a (id int);');
    await fs.mkdir(path.join(dir, '002_b'));
    await fs.writeFile(
      path.join(dir, '002_b/migration.sql'),
      'CREATE TABLE b (id int); SELECT no_such_function();',
    );
    await expect(migrate(db.sql, dir)).rejects.toThrow(/no_such_function/);
    const tables = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'b'`,
    );
    expect(tables[0]!.n).toBe(0);
    const recorded = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = '002_b'`,
    );
    expect(recorded[0]!.n).toBe(0);
  });

  it('give a working Prisma client: relations, unique keys and cascades', async () => {
    const db = await freshDatabase(kind);
    await migrate(db.sql);
    const user = await db.prisma.user.create({
      data: {
        displayName: 'Ada',
        identities: { create: { platform: 'slack', workspaceId: 'T1', platformUserId: 'U1' } },
      },
    });
    const conversation = await db.prisma.conversation.create({
      data: {
        ownerId: user.id,
        platform: 'slack',
        workspaceId: 'T1',
        channelId: 'C1',
        threadId: '1.2',
        workflowId: 'wf-1',
      },
    });
    const a = await db.prisma.message.create({
      data: {
        conversationId: conversation.id,
        turnId: 't',
        externalId: 'e1',
        role: 'user',
        content: 'hi',
      },
    });
    const b = await db.prisma.message.create({
      data: {
        conversationId: conversation.id,
        turnId: 't',
        externalId: 'e2',
        role: 'assistant',
        content: 'hello',
      },
    });
    expect(b.seq).toBeGreaterThan(a.seq);
    await expect(
      db.prisma.message.create({
        data: {
          conversationId: conversation.id,
          turnId: 't',
          externalId: 'e1',
          role: 'user',
          content: 'again',
        },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
    await db.prisma.user.delete({ where: { id: user.id } });
    expect(await db.prisma.message.count()).toBe(0);
    expect(await db.prisma.chatIdentity.count()).toBe(0);
  });
});
