import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../lib/db/index.js';
import { mappingFailures } from '../../lib/errors/index.js';
import type { Database } from '../../lib/db/index.js';
import { downloadFile, runCommand, uploadFile } from './command-activities.js';
import type { CommandResult } from './command-activities.js';
import { SandboxNotFoundError } from './errors.js';
import { LocalSandboxProvider } from './local/local-provider.js';
import { SandboxSessions } from './sessions.js';
import { CommandCredentials } from './command-credentials.js';
import { verifySandboxToken } from '../../lib/sandbox-access/index.js';

describe('one sandbox per conversation, recorded in the database', () => {
  let db: Database;
  let dataDir: string;
  let root: string;
  let userId: string;
  const newProvider = () => new LocalSandboxProvider({ root, network: 'none' });
  const newSessions = (idleTimeoutMs = 60_000) =>
    new SandboxSessions(db.prisma, newProvider(), { providerName: 'local', idleTimeoutMs });

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db.sql);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'dynamiq-sessions-'));
    await chmod(dataDir, 0o711);
    root = path.join(dataDir, 'sandboxes');
    userId = (await db.prisma.user.create({ data: { displayName: 'ops' } })).id;
  });
  afterAll(async () => {
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function conversation(): Promise<string> {
    const thread = `${Math.random()}`;
    const c = await db.prisma.conversation.create({
      data: {
        ownerId: userId,
        platform: 'web',
        workspaceId: 'local',
        channelId: userId,
        threadId: thread,
        workflowId: `wf-${thread}`,
      },
    });
    return c.id;
  }
  const run = (
    sessions: SandboxSessions,
    conversationId: string,
    command: string,
  ): Promise<CommandResult> =>
    new MockActivityEnvironment().run(runCommand, sessions, { conversationId, command });

  it('keeps files across commands, and conversations apart', async () => {
    const sessions = newSessions();
    const a = await conversation();
    const b = await conversation();
    expect((await run(sessions, a, 'echo kept > note.txt')).exitCode).toBe(0);
    expect((await run(sessions, a, 'cat note.txt')).stdout).toBe('kept\n');
    expect((await run(sessions, b, 'cat note.txt')).exitCode).not.toBe(0);
    const rows = await db.prisma.sandboxSession.findMany({
      where: { conversationId: { in: [a, b] } },
    });
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.sandboxId)).size).toBe(2);
    expect(rows.every((r) => r.status === 'running' && r.provider === 'local')).toBe(true);
  });

  it('reconnects a restarted worker to the same sandbox', async () => {
    const id = await conversation();
    await run(newSessions(), id, 'echo before-restart > state');
    const before = await db.prisma.sandboxSession.findUniqueOrThrow({
      where: { conversationId: id },
    });
    const afterRestart = newSessions(); // new provider and session objects, as after a restart
    expect((await run(afterRestart, id, 'cat state')).stdout).toBe('before-restart\n');
    const after = await db.prisma.sandboxSession.findUniqueOrThrow({
      where: { conversationId: id },
    });
    expect(after.sandboxId).toBe(before.sandboxId);
    expect(after.lastUsedAt.getTime()).toBeGreaterThanOrEqual(before.lastUsedAt.getTime());
  });

  it('kills the command when the activity is cancelled, after heartbeating', async () => {
    const sessions = newSessions();
    const id = await conversation();
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const started = Date.now();
    const pending = env.run(runCommand, sessions, {
      conversationId: id,
      command: 'echo started; sleep 31.7',
    });
    await new Promise((r) => setTimeout(r, 1500));
    env.cancel();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(beats.length).toBeGreaterThan(0);
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'args']);
    expect(stdout).not.toContain('sleep 31.7');
  });

  it('closes idle sandboxes and those of deleted conversations; the next use gets a fresh one', async () => {
    const sessions = newSessions(60_000);
    const idle = await conversation();
    const deleted = await conversation();
    const active = await conversation();
    for (const id of [idle, deleted, active]) await run(sessions, id, 'true');
    const idleRow = await db.prisma.sandboxSession.findUniqueOrThrow({
      where: { conversationId: idle },
    });
    await db.prisma.sandboxSession.update({
      where: { id: idleRow.id },
      data: { lastUsedAt: new Date(Date.now() - 120_000) },
    });
    await db.prisma.conversation.delete({ where: { id: deleted } });

    const { closed } = await sessions.reap();
    expect(closed.sort()).toEqual([idle, deleted].sort());
    await expect(newProvider().connect(idleRow.sandboxId)).rejects.toBeInstanceOf(
      SandboxNotFoundError,
    );
    const activeRow = await db.prisma.sandboxSession.findUniqueOrThrow({
      where: { conversationId: active },
    });
    expect(activeRow.status).toBe('running');

    await run(sessions, idle, 'true');
    const reopened = await db.prisma.sandboxSession.findUniqueOrThrow({
      where: { conversationId: idle },
    });
    expect(reopened.status).toBe('running');
    expect(reopened.sandboxId).not.toBe(idleRow.sandboxId);
  });

  it('moves files in and out, and a missing file is a final error', async () => {
    const sessions = newSessions();
    const id = await conversation();
    const env = new MockActivityEnvironment();
    await env.run(uploadFile, sessions, {
      conversationId: id,
      path: 'in.csv',
      contentBase64: Buffer.from('a,b\n1,2\n').toString('base64'),
    });
    await run(sessions, id, 'wc -l < in.csv > count.txt');
    const out: { contentBase64: string } = await env.run(downloadFile, sessions, {
      conversationId: id,
      path: 'count.txt',
    });
    expect(Buffer.from(out.contentBase64, 'base64').toString().trim()).toBe('2');
    // As createActivities binds it: a final error becomes a non-retryable failure.
    const missing = env.run(mappingFailures(downloadFile), sessions, {
      conversationId: id,
      path: 'nope.txt',
    });
    await expect(missing).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(missing).rejects.toMatchObject({
      nonRetryable: true,
      type: 'dynamiq.sandbox.file_not_found',
    });
  });

  it('gives every command a fresh sandbox token for the owner’s clouds, and the AWS CLI its config', async () => {
    const secret = 'command-credentials-secret-0123456789abcdef';
    const credentials = new CommandCredentials(db.prisma, {
      jwtSecret: secret,
      brokerUrl: () => 'http://127.0.0.1:9',
    });
    const id = await conversation();
    await db.prisma.cloudCredential.create({
      data: {
        userId,
        provider: 'aws',
        name: 'prod',
        config: { roleArn: 'arn:aws:iam::123456789012:role/ops', region: 'eu-west-1' },
      },
    });
    const sessions = newSessions();
    const env = new MockActivityEnvironment();
    const show = (): Promise<CommandResult> =>
      env.run(
        runCommand,
        sessions,
        {
          conversationId: id,
          command: 'echo "$DYNAMIQ_BROKER_URL $DYNAMIQ_SANDBOX_TOKEN"; cat ~/.aws/config',
        },
        credentials,
      );
    const first = await show();
    const second = await show();
    const [url, token] = first.stdout.split('\n')[0]!.split(' ');
    expect(url).toBe('http://127.0.0.1:9');
    const claims = await verifySandboxToken(token!, secret);
    expect(claims).toMatchObject({ userId, conversationId: id });
    expect(claims.scopes.apps).toContain('aws:prod');
    expect(claims.scopes.operations).toContain('aws:credentials');
    expect(claims.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    expect(second.stdout.split('\n')[0]).not.toBe(first.stdout.split('\n')[0]);
    expect(first.stdout).toContain(
      'credential_process = /opt/dynamiq/bin/aws-credential-helper --name prod',
    );
    expect(first.stdout).toContain('region = eu-west-1');
  });
});
