import type { ConversationKey } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import type { ConversationEvent, EventBus, StepEvent } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import { finishAnswer, markdownChunks } from './answer.js';
import type { Streamed } from './answer.js';
import { STREAM_TEXT_LIMIT, renderMessages } from './format.js';
import type { SlackPostRow } from './posts.js';
import { ensureThread } from './thread.js';
import type { SlackContext, SlackPlace } from './thread.js';

/** A turn the api follows live: what the request handler knew when it delivered the event. */
export interface LiveTurnStart {
  conversationId: string;
  turnId: string;
  key: ConversationKey;
  /** The Slack user who asked: the stream's recipient. */
  userId: string;
  /** A slash command's root message, posted first. */
  rootText?: string;
}

export interface LiveRepliesOptions {
  ctx: SlackContext;
  db: Db;
  bus: EventBus;
  log: Logger;
  /** Stop following a turn that has not completed after this long, in ms. Default 15 minutes. */
  followMs?: number;
  /** Coalescing of stream appends / placeholder edits, in ms. Defaults 250 and 1,200. */
  streamFlushMs?: number;
  editFlushMs?: number;
}

const TASK_STATUS = { started: 'in_progress', completed: 'complete', failed: 'error' } as const;

/**
 * Live progress in Slack for the turns this api process delivered: "thinking…" status at once,
 * then the answer streamed natively (chat.startStream / appendStream with task_update cards for
 * each step), or a placeholder edited with chat.update where streaming is refused; finished with
 * the stored answer when the turn completes. Best effort: the worker's deliverReply finishes
 * whatever this leaves (the post's lease says who is at it).
 */
export class LiveReplies {
  private readonly turns = new Set<LiveTurn>();

  constructor(private readonly opts: LiveRepliesOptions) {}

  /**
   * Starts listening for the turn's events before it is delivered (so none are missed); call
   * `begin` once the request is acknowledged, `cancel` if delivery failed.
   */
  prepare(start: LiveTurnStart): { begin(): void; cancel(): void } {
    const turn = new LiveTurn(this.opts, start, () => this.turns.delete(turn));
    this.turns.add(turn);
    return {
      begin: () => setImmediate(() => void turn.run()),
      cancel: () => turn.stop(),
    };
  }

  /** Stops following every turn (their leases run out; the worker finishes them). */
  async close(): Promise<void> {
    await Promise.all([...this.turns].map((t) => t.stop()));
  }
}

class LiveTurn {
  private readonly events: ConversationEvent[] = [];
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;
  private stopped = false;
  private place: SlackPlace | null = null;
  private row: SlackPostRow | null = null;
  private readonly streamed: Streamed = { text: '', clean: true };
  private pendingText = '';
  private pendingTasks = new Map<string, object>();
  private readonly steps = new Map<string, StepEvent>();
  private readonly texts = new Map<string, { attempt: number; text: string }>();
  private lastFlush = 0;
  private lastLease = Date.now();

  constructor(
    private readonly opts: LiveRepliesOptions,
    private readonly start: LiveTurnStart,
    private readonly done: () => void,
  ) {
    this.unsubscribe = opts.bus.subscribe(start.conversationId, (event) => {
      if (event.turnId !== start.turnId) return;
      this.events.push(event);
      this.wake?.();
    });
  }

  async run(): Promise<void> {
    const { ctx, log } = this.opts;
    const deadline = Date.now() + (this.opts.followMs ?? 15 * 60_000);
    try {
      this.place = await ensureThread(
        ctx,
        this.start.conversationId,
        this.start.key,
        () => this.start.rootText ?? ' ',
      );
      void this.setStatus('is thinking…');
      this.row = await ctx.posts.acquire(
        { conversationId: this.start.conversationId, kind: 'reply', ref: this.start.turnId },
        { teamId: this.place.teamId, channelId: this.place.channel, threadTs: this.place.threadTs },
      );
      if (!this.row) return; // someone else is answering this turn
      while (!this.stopped && Date.now() < deadline) {
        const event = this.events.shift();
        if (!event) {
          await this.flush();
          await this.idle(Math.min(this.flushMs(), deadline - Date.now()));
          continue;
        }
        if (event.type === 'turn.completed') {
          await this.finish(event.messageId);
          return;
        }
        this.apply(event);
        if (this.mode() === 'opening' && (this.pendingText || this.pendingTasks.size))
          await this.open();
      }
    } catch (err) {
      log.warn(
        { err, conversationId: this.start.conversationId },
        'Slack live progress stopped; the worker will finish the answer',
      );
    } finally {
      await this.stop();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.wake?.();
    this.done();
    if (this.row && this.row.state !== 'final') {
      await this.opts.ctx.posts.release(this.row.id).catch(() => undefined);
    }
  }

  private mode() {
    return this.row?.state ?? 'opening';
  }

  private flushMs() {
    return this.mode() === 'message'
      ? (this.opts.editFlushMs ?? 1_200)
      : (this.opts.streamFlushMs ?? 250);
  }

  private idle(ms: number): Promise<void> {
    if (this.events.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(), Math.max(ms, 10));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private apply(event: ConversationEvent): void {
    if (event.type === 'step') {
      this.steps.set(event.stepId, event);
      this.pendingTasks.set(event.stepId, {
        type: 'task_update',
        id: event.stepId,
        title: event.label.slice(0, 256),
        status: TASK_STATUS[event.status],
      });
    } else if (event.type === 'token') {
      const shown = this.texts.get(event.stepId);
      if (shown && event.attempt < shown.attempt) return;
      if (!shown || event.attempt > shown.attempt) {
        // A retried step starts over: what the earlier attempt streamed cannot be taken back.
        if (shown?.text) this.streamed.clean = false;
        this.texts.set(event.stepId, { attempt: event.attempt, text: '' });
      }
      this.texts.get(event.stepId)!.text += event.delta;
      if (
        this.streamed.clean &&
        this.streamed.text.length + this.pendingText.length < STREAM_TEXT_LIMIT
      ) {
        this.pendingText += event.delta;
      }
    }
  }

  /** Opens the live message: a native stream, or a placeholder where streaming is refused. */
  private async open(): Promise<void> {
    const { ctx } = this.opts;
    const place = this.place!;
    const chunks = this.takeChunks();
    try {
      // Streams are Tier 2: when the workspace is at its limit, post and edit instead of waiting.
      if (!ctx.api.hasRoom('chat.startStream', place.teamId))
        throw new Error('chat.startStream is at its rate limit');
      const started = await ctx.api.call<{ ts?: string }>(
        place.auth.botToken,
        place.teamId,
        'chat.startStream',
        {
          channel: place.channel,
          thread_ts: place.threadTs,
          recipient_user_id: this.start.userId,
          recipient_team_id: place.teamId,
          task_display_mode: 'timeline',
          chunks,
        },
      );
      this.row = { ...this.row!, state: 'streaming', ts: started.ts! };
      await ctx.posts.update(this.row.id, { state: 'streaming', ts: started.ts! });
    } catch (err) {
      this.opts.log.info({ err }, 'Slack refused chat.startStream; posting and editing instead');
      const part = this.draft();
      const posted = await ctx.api.call<{ ts?: string }>(
        place.auth.botToken,
        place.teamId,
        'chat.postMessage',
        {
          channel: place.channel,
          thread_ts: place.threadTs,
          ...part,
        },
      );
      this.row = { ...this.row!, state: 'message', ts: posted.ts! };
      await ctx.posts.update(this.row.id, { state: 'message', ts: posted.ts! });
    }
    this.lastFlush = Date.now();
  }

  /** Sends what accumulated since the last flush: one append, or one edit of the placeholder. */
  private async flush(): Promise<void> {
    const { ctx } = this.opts;
    const mode = this.mode();
    if (mode === 'opening' || mode === 'final') return;
    const place = this.place!;
    if (Date.now() - this.lastLease > 10_000) {
      this.lastLease = Date.now();
      await ctx.posts.update(this.row!.id, {});
    }
    if (!this.pendingText && !this.pendingTasks.size) return;
    if (Date.now() - this.lastFlush < this.flushMs()) return;
    this.lastFlush = Date.now();
    if (mode === 'streaming') {
      await ctx.api.call(place.auth.botToken, place.teamId, 'chat.appendStream', {
        channel: place.channel,
        ts: this.row!.ts,
        chunks: this.takeChunks(),
      });
    } else {
      this.takeChunks();
      await ctx.api.call(place.auth.botToken, place.teamId, 'chat.update', {
        channel: place.channel,
        ts: this.row!.ts,
        ...this.draft(),
      });
    }
  }

  /** Pending task cards and text as stream chunks; what is taken counts as streamed. */
  private takeChunks(): object[] {
    const chunks = [...this.pendingTasks.values(), ...markdownChunks(this.pendingText)];
    this.streamed.text += this.pendingText;
    this.pendingText = '';
    this.pendingTasks.clear();
    return chunks;
  }

  /** The placeholder's text so far: each step on a line, then the answer as it streams. */
  private draft(): { text: string; blocks: object[] } {
    const mark = { started: '…', completed: ' ✓', failed: ' ✗' } as const;
    const steps = [...this.steps.values()]
      .filter((s) => s.kind !== 'thinking')
      .map((s) => `_${s.label}${mark[s.status]}_`);
    const text = [...this.texts.values()].map((t) => t.text).join('\n\n');
    const body = [steps.join('\n'), text || '_Thinking…_'].filter(Boolean).join('\n\n');
    const part = renderMessages(body)[0]!;
    return { text: part.text, blocks: part.blocks };
  }

  private async finish(messageId: string): Promise<void> {
    const { ctx, db } = this.opts;
    const message = await db.message.findUnique({
      where: { id: messageId },
      select: { content: true },
    });
    if (!message) throw new Error(`answer ${messageId} not found`);
    // Task cards still waiting go out with the stop, so the timeline ends complete.
    this.streamed.chunks = [...this.pendingTasks.values()];
    const { ts, extraTs } = await finishAnswer(
      ctx,
      this.place!,
      this.row!,
      message.content,
      this.streamed,
    );
    await ctx.posts.finish(this.row!.id, { ts, extraTs });
    this.row = { ...this.row!, state: 'final' };
  }

  private async setStatus(status: string): Promise<void> {
    const place = this.place!;
    try {
      await this.opts.ctx.api.call(
        place.auth.botToken,
        place.teamId,
        'assistant.threads.setStatus',
        {
          channel_id: place.channel,
          thread_ts: place.threadTs,
          status,
        },
      );
    } catch (err) {
      this.opts.log.debug({ err }, 'assistant.threads.setStatus refused');
    }
  }
}
