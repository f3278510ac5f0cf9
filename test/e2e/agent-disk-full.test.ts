// A sandbox that fills its own disk, in the whole product: the command gets ENOSPC on its
// loop-mounted filesystem (SANDBOX_DISK_MB; the provider-level test is
// activities/sandbox/local/disk.test.ts), and while that disk is full, and afterwards, the api
// answers and the database reads and writes.
import { readdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmountDisk } from '../../activities/sandbox/local/disk.js';
import { defaultSandboxDir } from '../../lib/config/index.js';
import { eventually, startAgentHarness, toolResults } from './agent-harness.js';
import type { AgentHarness } from './agent-harness.js';

describe('a sandbox whose disk is full', () => {
  let h: AgentHarness;
  const sandboxDir = () => defaultSandboxDir(h.app.env.DYNAMIQ_DATA_DIR!);
  beforeAll(async () => {
    // The smallest disk a sandbox may have; loop-mounted, as the worker runs as root here.
    h = await startAgentHarness({ SANDBOX_DISK_MB: '16' });
  });
  afterAll(async () => {
    if (!h) return;
    // Sandboxes outlive a stopped worker (a new one reconnects): their disks stay mounted.
    for (const id of await readdir(sandboxDir()).catch(() => [])) {
      await unmountDisk(path.join(sandboxDir(), id));
    }
    await h.close();
  });

  /** The product answers: status (its own database and Temporal probes), a read and a write. */
  async function productAnswers(conversationId: string) {
    const status = await h.app.api('/api/status');
    expect(status.status).toBe(200);
    const parts = ((await status.json()) as { parts: Array<{ id: string; state: string }> }).parts;
    expect(parts.find((p) => p.id === 'database')).toMatchObject({ state: 'ok' });
    const detail = await h.detail(conversationId);
    expect(detail.turns).toHaveLength(1);
    expect(await h.app.database.prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    // A write: a new conversation row.
    expect(await h.newConversation()).toMatch(/^[0-9a-f-]{36}$/);
    return detail;
  }

  it('gets ENOSPC while the api and the database keep answering, during and after', async () => {
    // Fills the disk, then holds it full until the test frees it from the host side.
    const command =
      'head -c 64M /dev/zero > /work/big; echo "filled=$?"; ' +
      'while [ -e /work/big ]; do sleep 0.1; done; echo freed';
    h.script.current = (req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'run_command', arguments: { command } }] }
        : { text: `result: ${toolResults(req).join(' ')}` };
    const id = await h.newConversation();
    const stream = h.start(id, 'fill the disk');
    // Writing a file asks first.
    const approval = await eventually(
      async () => (await h.detail(id)).turns.at(-1)?.approvals.find((a) => a.status === 'pending'),
      'the approval request',
    );
    const approved = await h.app.api(`/api/conversations/${id}/approvals/${approval.id}`, {
      method: 'POST',
      json: { decision: 'approve' },
    });
    expect(approved.status).toBe(200);

    const session = await eventually(
      async () =>
        (await h.app.database.prisma.sandboxSession.findUnique({
          where: { conversationId: id },
        })) ?? undefined,
      'the sandbox session',
    );
    const mount = path.join(sandboxDir(), session.sandboxId, 'fs');
    // The sandbox's filesystem, seen from the host, is full (ext4 keeps a few KiB it never
    // hands out: 2 KiB of 16 MiB seen here once `head` had its ENOSPC).
    await eventually(async () => {
      const fs = await statfs(mount);
      return fs.bavail * fs.bsize < 64 * 1024;
    }, 'the sandbox disk to fill');

    const during = await productAnswers(id);
    expect(during.turns[0]!.toolCalls[0]!.status).toBe('running');

    await rm(path.join(mount, 'work', 'big'));
    const events = await stream;
    const answer = events.at(-1)!.data as { content: string };
    expect(answer.content).toContain('No space left on device');
    expect(answer.content).toMatch(/filled=[1-9]/);
    expect(answer.content).toContain('freed');

    const after = await productAnswers(id);
    expect(after.turns[0]!.toolCalls[0]).toMatchObject({ status: 'completed', exitCode: 0 });
  });
});
