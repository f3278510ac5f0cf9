import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './client.js';
import { importPgliteData, pgliteSql } from './import-pglite.js';
import { migrate } from './migrate.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function dataFolder(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-embedded-pg-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serverPids(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(path.join(dataDir, 'postgres', 'data'))) pids.push(Number(name));
  }
  return pids;
}

describe('the embedded PostgreSQL (the default without DATABASE_URL)', () => {
  it('keeps its data in the data folder across a restart, and stops with the database', async () => {
    const dir = await dataFolder();
    const first = await openDatabase({ dataDir: dir });
    expect(first.kind).toBe('embedded');
    await migrate(first.sql);
    await first.prisma.user.create({ data: { displayName: 'kept' } });
    await first.close();
    expect(await serverPids(dir)).toEqual([]);

    const second = await openDatabase({ dataDir: dir });
    cleanups.push(() => second.close());
    expect((await migrate(second.sql)).applied).toEqual([]);
    expect((await second.prisma.user.findFirstOrThrow()).displayName).toBe('kept');
  }, 60_000);

  it('listens on no TCP port, only on a socket in an owner-only folder', async () => {
    const dir = await dataFolder();
    const db = await openDatabase({ dataDir: dir });
    cleanups.push(() => db.close());
    const [row] = await db.sql.query<{ listen_addresses: string }>('SHOW listen_addresses');
    expect(row!.listen_addresses).toBe('');
    const run = await fs.stat(path.join(dir, 'postgres', 'run'));
    expect(run.mode & 0o077).toBe(0);
    const password = await fs.stat(path.join(dir, 'postgres-password'));
    expect(password.mode & 0o077).toBe(0);
  }, 60_000);

  it('opens after a product that was SIGKILLed left its server running', async () => {
    const dir = await dataFolder();
    const seed = await openDatabase({ dataDir: dir });
    await migrate(seed.sql);
    await seed.prisma.user.create({ data: { displayName: 'before the crash' } });
    await seed.close();
    // A separate process opens the database, then dies without closing it.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./lib/db/client.ts').then(async (m) => { await m.openDatabase({ dataDir: ${JSON.stringify(dir)} }); console.log('open'); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    const left = await serverPids(dir);
    expect(left.length).toBeGreaterThan(0);

    const reopened = await openDatabase({ dataDir: dir });
    cleanups.push(() => reopened.close());
    expect((await reopened.prisma.user.findFirstOrThrow()).displayName).toBe('before the crash');
    for (const pid of left) expect(await serverPids(dir)).not.toContain(pid);
  }, 60_000);

  it('takes over the rows of an earlier version’s PGlite database, once', async () => {
    const dir = await dataFolder();
    const lite = new PGlite(path.join(dir, 'pglite'));
    const liteSql = pgliteSql(lite);
    await migrate(liteSql);
    const [user] = await lite
      .query<{ id: string }>(
        `INSERT INTO "User" (id, "displayName", "updatedAt") VALUES (gen_random_uuid(), 'Ada', now())
       RETURNING id`,
      )
      .then((r) => r.rows);
    const [conversation] = await lite
      .query<{ id: string }>(
        `INSERT INTO "Conversation"
           (id, "ownerId", platform, "workspaceId", "channelId", "threadId", "workflowId", "updatedAt")
         VALUES (gen_random_uuid(), $1, 'web', 'local', 'c', 't', 'wf-1', now()) RETURNING id`,
        [user!.id],
      )
      .then((r) => r.rows);
    for (const text of ['one', 'two']) {
      await lite.query(
        `INSERT INTO "Message" (id, "conversationId", "turnId", "externalId", role, content)
         VALUES (gen_random_uuid(), $1, 'turn-1', $2, 'user', $2)`,
        [conversation!.id, text],
      );
    }
    await lite.close();

    const db = await openDatabase({ dataDir: dir });
    cleanups.push(() => db.close());
    await migrate(db.sql);
    const lines: string[] = [];
    expect(await importPgliteData(dir, db, (l) => lines.push(l))).toMatchObject({ rows: 4 });
    expect(lines.join('\n')).toContain('copied 4 rows');
    const messages = await db.prisma.message.findMany({ orderBy: { seq: 'asc' } });
    expect(messages.map((m) => m.content)).toEqual(['one', 'two']);
    // The serial column goes on after the copied rows.
    const next = await db.prisma.message.create({
      data: {
        conversationId: conversation!.id,
        turnId: 'turn-1',
        externalId: 'three',
        role: 'assistant',
        content: 'three',
      },
    });
    expect(next.seq).toBeGreaterThan(messages.at(-1)!.seq);
    // The old folder is kept under a new name and not read again.
    await fs.access(path.join(dir, 'pglite.imported'));
    expect(await importPgliteData(dir, db, () => {})).toBeUndefined();
    expect(await db.prisma.message.count()).toBe(3);
  }, 120_000);
});
