import { FetchCache } from '../../lib/cache/index.js';
import type { Db } from '../../lib/db/index.js';
import { SandboxNotFoundError } from './errors.js';
import type { Sandbox, SandboxProvider } from './types.js';

export interface SandboxSessionsOptions {
  /** Recorded with each session; a restarted worker reconnects only to its own kind. */
  providerName: 'local' | 'e2b';
  /** A sandbox unused for this long is closed by `reap`, in milliseconds. */
  idleTimeoutMs: number;
}

/**
 * One sandbox per conversation: created on first use, reused across turns, recorded in the
 * database so a restarted worker reconnects to it instead of leaking it, closed when idle or
 * when its conversation ends or is deleted.
 */
export class SandboxSessions {
  /** Open sandboxes of this worker; the database is the record, this saves reconnects. */
  private readonly open = new Map<string, Sandbox>();
  /** Creations (or reconnects) running now: concurrent callers for a conversation share one. */
  private readonly resolving = new FetchCache<Sandbox>({ ttlMs: 0 });
  /** Commands running now, per conversation: the reaper never closes a sandbox in use. */
  private readonly inUse = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly provider: SandboxProvider,
    private readonly opts: SandboxSessionsOptions,
  ) {}

  /** The conversation's sandbox, reconnecting or creating it as needed. */
  async forConversation(conversationId: string): Promise<Sandbox> {
    const cached = this.open.get(conversationId);
    if (cached) {
      await this.touch(conversationId);
      return cached;
    }
    return this.resolving.get(conversationId, () => this.resolve(conversationId));
  }

  private async resolve(conversationId: string): Promise<Sandbox> {
    const row = await this.db.sandboxSession.findUnique({ where: { conversationId } });
    if (row?.status === 'running' && row.provider === this.opts.providerName) {
      try {
        const sandbox = await this.provider.connect(row.sandboxId);
        this.open.set(conversationId, sandbox);
        await this.touch(conversationId);
        return sandbox;
      } catch (err) {
        if (!(err instanceof SandboxNotFoundError)) throw err;
        // Gone (expired, reaped elsewhere): fall through to a fresh one.
      }
    }
    const sandbox = await this.provider.create({ metadata: { conversationId } });
    try {
      const now = new Date();
      await this.db.sandboxSession.upsert({
        where: { conversationId },
        create: { conversationId, provider: this.opts.providerName, sandboxId: sandbox.id },
        update: {
          provider: this.opts.providerName,
          sandboxId: sandbox.id,
          status: 'running',
          createdAt: now,
          lastUsedAt: now,
          closedAt: null,
        },
      });
    } catch (err) {
      // Unrecorded, it would leak: nobody could find it to close it.
      await sandbox.kill().catch(() => undefined);
      throw err;
    }
    this.open.set(conversationId, sandbox);
    return sandbox;
  }

  /**
   * Marks the conversation's sandbox as in use until the returned function is called; the
   * reaper of this worker skips it, and `touch` keeps it fresh for the others.
   */
  hold(conversationId: string): () => void {
    this.inUse.set(conversationId, (this.inUse.get(conversationId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(conversationId) ?? 1) - 1;
      if (left > 0) this.inUse.set(conversationId, left);
      else this.inUse.delete(conversationId);
    };
  }

  /** Records that the conversation's sandbox is being used now. */
  async touch(conversationId: string): Promise<void> {
    await this.db.sandboxSession.updateMany({
      where: { conversationId, status: 'running' },
      data: { lastUsedAt: new Date() },
    });
  }

  /** Kills the conversation's sandbox, if it has one. */
  async close(conversationId: string): Promise<boolean> {
    const row = await this.db.sandboxSession.findUnique({ where: { conversationId } });
    this.open.delete(conversationId);
    if (!row || row.status !== 'running') return false;
    await this.killById(row.provider, row.sandboxId);
    await this.db.sandboxSession.updateMany({
      where: { id: row.id, sandboxId: row.sandboxId },
      data: { status: 'closed', closedAt: new Date() },
    });
    return true;
  }

  /**
   * Closes sandboxes idle for longer than the timeout and those whose conversation no longer
   * exists. Safe to run from several workers at once.
   */
  async reap(now = new Date()): Promise<{ closed: string[] }> {
    const idleSince = new Date(now.getTime() - this.opts.idleTimeoutMs);
    const rows = await this.db.sandboxSession.findMany({
      where: { status: 'running', provider: this.opts.providerName },
    });
    const existing = new Set(
      (
        await this.db.conversation.findMany({
          where: { id: { in: rows.map((r) => r.conversationId) } },
          select: { id: true },
        })
      ).map((c) => c.id),
    );
    const closed: string[] = [];
    for (const row of rows) {
      if (this.inUse.has(row.conversationId)) continue;
      if (row.lastUsedAt > idleSince && existing.has(row.conversationId)) continue;
      if (await this.close(row.conversationId)) closed.push(row.conversationId);
    }
    return { closed };
  }

  private async killById(provider: string, sandboxId: string): Promise<void> {
    if (provider !== this.opts.providerName) return;
    try {
      await (await this.provider.connect(sandboxId)).kill();
    } catch (err) {
      if (!(err instanceof SandboxNotFoundError)) throw err;
    }
  }
}
