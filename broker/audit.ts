import { randomUUID } from 'node:crypto';
import type { Db, Prisma } from '../lib/db/index.js';
import type { SandboxTokenClaims } from '../lib/sandbox-access/index.js';

/** Actions the broker records; the route and the portal filter on them. */
export type AuditAction =
  | 'credential.issued'
  | 'credential.refreshed'
  | 'credential.refused'
  | 'credential.failed'
  /** Refusals of requests without a valid token, counted over a window: one row per window. */
  | 'credential.refused_unauthenticated';
export type AuditOutcome = 'ok' | 'refused' | 'error';

export interface AuditRecord {
  action: AuditAction;
  /** `aws`, `gcp`, or an integration id. */
  target: string;
  outcome: AuditOutcome;
  /** Present when the token verified (also for out-of-scope refusals). */
  claims?: SandboxTokenClaims;
  /** Non-secret detail: the refusal reason, role ARN, expiry, cache hit. Never a secret. */
  detail?: Record<string, string | number | boolean | null>;
}

export interface AuditEventView {
  id: string;
  at: string;
  action: string;
  target: string;
  outcome: string;
  conversationId: string | null;
  sandboxId: string | null;
  detail: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long an issued-credential event may wait to be written with others, in milliseconds. */
const BATCH_DELAY_MS = 20;
const BATCH_MAX = 200;
/** Unauthenticated refusals are summed over this long, then written as one row, in ms. */
export const UNAUTHENTICATED_WINDOW_MS = 60_000;

/**
 * Writes and reads AuditEvent rows for the credential broker. Refusals are written before the
 * answer leaves (`record`); issued credentials, the hot path, are batched (`recordSoon`) so a
 * cached credential costs no database round trip, at the risk of losing the last few
 * milliseconds of issue events if the process dies. A refusal without a valid token names no
 * one and costs its sender nothing: those are counted by target and reason and written as one
 * row a minute (`countUnauthenticated`), so a flood of them never means a write each.
 */
export class AuditLog {
  private queue: Prisma.AuditEventCreateManyInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** `target` → reason → count, since the window opened. */
  private unauthenticated = new Map<string, Map<string, number>>();
  private windowTimer: NodeJS.Timeout | undefined;
  private windowOpenedAt = new Date();

  constructor(
    private readonly db: Db,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async record(r: AuditRecord): Promise<void> {
    await this.db.auditEvent.create({ data: toRow(r) });
  }

  /** Queues the event; it is written within BATCH_DELAY_MS, or by `flush`. */
  recordSoon(r: AuditRecord): void {
    this.queue.push({ ...toRow(r), at: new Date() });
    if (this.queue.length >= BATCH_MAX) void this.flush().catch(this.onError);
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(this.onError), BATCH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Counts a refusal of a request that had no valid token; see the class comment. */
  countUnauthenticated(target: string, reason: string): void {
    let reasons = this.unauthenticated.get(target);
    if (!reasons) this.unauthenticated.set(target, (reasons = new Map()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    if (!this.windowTimer) {
      this.windowOpenedAt = new Date();
      this.windowTimer = setTimeout(
        () => void this.flush().catch(this.onError),
        UNAUTHENTICATED_WINDOW_MS,
      );
      this.windowTimer.unref();
    }
  }

  /** Writes every queued event and the open window's counts; call it before shutting down. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.closeWindow();
    const batch = this.queue;
    this.queue = [];
    // Batches are written one after another so `list` after `flush` sees all of them.
    const write = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await insertBatch(this.db, batch);
      } catch (err) {
        this.queue.unshift(...batch);
        throw err;
      }
    });
    this.writing = write.catch(() => {});
    return write;
  }

  /** Queues one row per target for the counts of the window now ending. */
  private closeWindow(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    if (!this.unauthenticated.size) return;
    const windowSeconds = Math.round((Date.now() - this.windowOpenedAt.getTime()) / 1000);
    for (const [target, reasons] of this.unauthenticated) {
      const count = [...reasons.values()].reduce((a, b) => a + b, 0);
      this.queue.push({
        ...toRow({
          action: 'credential.refused_unauthenticated',
          target,
          outcome: 'refused',
          detail: { count, windowSeconds, ...Object.fromEntries(reasons) },
        }),
        at: new Date(),
      });
    }
    this.unauthenticated = new Map();
  }

  /** The user's events, newest first; `before` pages back by time. */
  async list(userId: string, opts: { limit: number; before?: Date }): Promise<AuditEventView[]> {
    await this.flush();
    const rows = await this.db.auditEvent.findMany({
      where: { userId, ...(opts.before ? { at: { lt: opts.before } } : {}) },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: opts.limit,
    });
    return rows.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      action: e.action,
      target: e.target,
      outcome: e.outcome,
      conversationId: e.conversationId,
      sandboxId: e.sandboxId,
      detail: e.detail,
    }));
  }
}

/**
 * One INSERT of the whole batch with one array parameter per column. Prisma's createMany costs
 * milliseconds of event-loop time per hundred rows (it builds the query in process), which
 * showed as 20 ms stalls of every other request on the broker's hot path; this costs one
 * statement whatever the batch size.
 */
async function insertBatch(db: Db, batch: Prisma.AuditEventCreateManyInput[]): Promise<void> {
  const col = <K extends keyof Prisma.AuditEventCreateManyInput>(key: K) =>
    batch.map((row) => row[key] ?? null);
  await db.$executeRaw`
    INSERT INTO "AuditEvent" ("id", "at", "userId", "action", "target", "conversationId",
                              "sandboxId", "outcome", "detail")
    SELECT * FROM unnest(
      ${batch.map(() => randomUUID())}::uuid[],
      ${col('at')}::timestamp(3)[],
      ${col('userId')}::uuid[],
      ${col('action')}::text[],
      ${col('target')}::text[],
      ${col('conversationId')}::uuid[],
      ${col('sandboxId')}::text[],
      ${col('outcome')}::text[],
      ${batch.map((row) => (row.detail === undefined ? null : JSON.stringify(row.detail)))}::jsonb[]
    )`;
}

function toRow(r: AuditRecord): Prisma.AuditEventCreateManyInput {
  const c = r.claims;
  // The columns are UUIDs, but a token's claims are free-form strings: anything that is not a
  // UUID still reaches the record through `detail`, so a refusal is never lost to a type error.
  const asUuid = (v: string | undefined) => (v && UUID.test(v) ? v : null);
  return {
    userId: asUuid(c?.userId),
    action: r.action,
    target: r.target,
    conversationId: asUuid(c?.conversationId),
    sandboxId: c?.sandboxId ?? null,
    outcome: r.outcome,
    detail: {
      ...r.detail,
      ...(c ? { jti: c.jti } : {}),
      ...(c && !asUuid(c.userId) ? { tokenUser: c.userId } : {}),
      ...(c && !asUuid(c.conversationId) ? { tokenConversation: c.conversationId } : {}),
    },
  };
}
