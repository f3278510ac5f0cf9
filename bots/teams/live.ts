import type { ConversationEvent, EventBus, StepEvent } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import { STREAM_MAX_MS, answerText, finishAnswer, markdownMessage, streamInfo } from './answer.js';
import type { TeamsContext } from './answer.js';
import { MESSAGE_TEXT_BYTES, markdownToTeams, renderMessages } from './format.js';
import type { StoredReference, TeamsPostRow } from './store.js';
import type { Surface } from './translate.js';

/** A turn the api follows live: what the request handler knew when it delivered the event. */
export interface LiveTurnStart {
  conversationId: string;
  turnId: string;
  surface: Surface;
  reference: StoredReference;
  /** The person's message the turn answers; every message of the turn replies to it. */
  replyToId: string | undefined;
}

export interface LiveRepliesOptions {
  ctx: TeamsContext;
  bus: EventBus;
  log: Logger;
  /** Stop following a turn that has not completed after this long, in ms. Default 15 minutes. */
  followMs?: number;
  /** Least time between stream chunks (personal chat), in ms. Default 1,000: Teams' pace. */
  streamFlushMs?: number;
  /** Least time between edits of the progress message (channels, group chats), in ms. Default 1,500. */
  editFlushMs?: number;
  /** Longest time without an edit while a turn runs (channels), in ms. Default 30,000 (< 45 s). */
  heartbeatMs?: number;
  /** How long a native stream stays open, in ms. Default STREAM_MAX_MS (Teams allows 2 minutes). */
  streamMaxMs?: number;
}

const WORKING = 'Working on it…';

/**
 * Live progress in Teams for the turns this api process delivered (the request handler has
 * sent a typing indicator already): in personal chat a native stream (an informative update, then the answer as it is
 * written, the whole text so far about once a second, ended by the final message), and in
 * channels and group chats one message edited with the steps and the text so far, at least
 * every 30 s, then replaced by the answer. Best effort: the worker's deliverReply finishes
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
      cancel: () => void turn.stop(),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.turns].map((t) => t.stop()));
  }
}

class LiveTurn {
  private readonly events: ConversationEvent[] = [];
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;
  private stopped = false;
  private row: TeamsPostRow | null = null;
  private readonly steps = new Map<string, StepEvent>();
  private readonly texts = new Map<string, { attempt: number; text: string }>();
  /** False once the text so far is no longer an extension of what was streamed. */
  private clean = true;
  private streamedText = '';
  private shown = '';
  private lastFlush = 0;
  private lastLease = Date.now();
  private readonly startedAt = Date.now();

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
      this.row = await ctx.posts.acquire({
        conversationId: this.start.conversationId,
        kind: 'reply',
        ref: this.start.turnId,
      });
      if (!this.row) return; // someone else is answering this turn
      await this.open();
      while (!this.stopped && Date.now() < deadline) {
        const event = this.events.shift();
        if (!event) {
          await this.tick();
          await this.idle(Math.min(this.flushMs(), deadline - Date.now()));
          continue;
        }
        if (event.type === 'turn.completed') {
          await this.finish(event.messageId);
          return;
        }
        // Teams keeps a stream to itself; an approval card comes as its own message.
        if (event.type === 'approval' && event.status === 'pending') await this.closeStream();
        this.apply(event);
      }
    } catch (err) {
      log.warn(
        { err, conversationId: this.start.conversationId },
        'Teams live progress stopped; the worker will finish the answer',
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

  private send(activity: Parameters<TeamsContext['connector']['send']>[1]) {
    return this.opts.ctx.connector.send(this.start.reference, activity, this.start.replyToId);
  }

  private mode() {
    return this.row?.state ?? 'opening';
  }

  private flushMs() {
    return this.mode() === 'message'
      ? (this.opts.editFlushMs ?? 1_500)
      : (this.opts.streamFlushMs ?? 1_000);
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

  /** Opens the live message: an informative stream update (personal) or a progress message. */
  private async open(): Promise<void> {
    const { posts } = this.opts.ctx;
    const row = this.row!;
    if (this.start.surface === 'personal') {
      const id = await this.send({
        type: 'typing',
        text: WORKING,
        ...streamInfo('informative', null, 1),
      });
      this.row = {
        ...row,
        state: 'streaming',
        activityId: id,
        streamSequence: 1,
        streamStartedAt: new Date(),
      };
      await posts.update(row.id, {
        state: 'streaming',
        activityId: id,
        streamSequence: 1,
        streamStartedAt: this.row.streamStartedAt,
      });
    } else {
      this.shown = `_${WORKING}_`;
      const id = await this.send(markdownMessage(this.shown));
      this.row = { ...row, state: 'message', activityId: id };
      await posts.update(row.id, { state: 'message', activityId: id });
    }
    this.lastFlush = Date.now();
  }

  private apply(event: ConversationEvent): void {
    if (event.type === 'step') {
      this.steps.set(event.stepId, event);
    } else if (event.type === 'token') {
      const seen = this.texts.get(event.stepId);
      if (seen && event.attempt < seen.attempt) return;
      if (!seen || event.attempt > seen.attempt) {
        // A retried step starts over: what the earlier attempt streamed cannot be taken back.
        if (seen?.text) this.clean = false;
        this.texts.set(event.stepId, { attempt: event.attempt, text: '' });
      }
      this.texts.get(event.stepId)!.text += event.delta;
    }
  }

  private answerSoFar(): string {
    return [...this.texts.values()]
      .map((t) => t.text)
      .filter(Boolean)
      .join('\n\n');
  }

  /** Sends what changed since the last flush: a stream chunk, or an edit of the progress message. */
  private async tick(): Promise<void> {
    const { posts } = this.opts.ctx;
    const row = this.row!;
    const now = Date.now();
    if (now - this.lastLease > 10_000) {
      this.lastLease = now;
      await posts.update(row.id, {});
    }
    if (now - this.lastFlush < this.flushMs()) return;
    if (row.state === 'streaming') {
      const open = now - (row.streamStartedAt?.getTime() ?? now);
      if (open > (this.opts.streamMaxMs ?? STREAM_MAX_MS)) return this.closeStream();
      const text = markdownToTeams(this.answerSoFar());
      const fits = Buffer.byteLength(text) <= MESSAGE_TEXT_BYTES;
      if (!this.clean || !fits || !text || text === this.streamedText) {
        // Before the first words, the informative update says what the agent is doing.
        const label = this.currentStep();
        if (!this.streamedText && label && label !== this.shown) {
          this.shown = label;
          await this.streamUpdate('informative', label);
        }
        return;
      }
      if (!text.startsWith(this.streamedText)) {
        this.clean = false;
        return;
      }
      this.streamedText = text;
      await this.streamUpdate('streaming', text);
    } else if (row.state === 'message') {
      const draft = this.draft();
      const heartbeat = now - this.lastFlush >= (this.opts.heartbeatMs ?? 30_000);
      const changed = draft !== this.shown;
      if (!changed && !heartbeat) return;
      this.shown = draft;
      this.lastFlush = now;
      const elapsed = Math.round((now - this.startedAt) / 1000);
      // Unchanged for a while (a long command): say it is still alive, at least every 30 s.
      const text = changed ? draft : `${draft}\n\n_Still working (${elapsed} s)…_`;
      await this.opts.ctx.connector.update(
        this.start.reference,
        row.activityId!,
        markdownMessage(text),
      );
    }
  }

  private async streamUpdate(type: 'informative' | 'streaming', text: string): Promise<void> {
    const row = this.row!;
    const sequence = row.streamSequence + 1;
    this.row = { ...row, streamSequence: sequence };
    this.lastFlush = Date.now();
    await this.send({ type: 'typing', text, ...streamInfo(type, row.activityId, sequence) });
    await this.opts.ctx.posts.update(row.id, { streamSequence: sequence });
  }

  /** Ends an open stream with what it shows; the answer will come as a new message. */
  private async closeStream(): Promise<void> {
    const row = this.row!;
    if (row.state !== 'streaming') return;
    const text = this.streamedText || this.shown || WORKING;
    await this.send({ ...markdownMessage(text), ...streamInfo('final', row.activityId) });
    this.row = { ...row, state: 'opening', activityId: null };
    await this.opts.ctx.posts.update(row.id, { state: 'opening', activityId: null });
  }

  private currentStep(): string | null {
    const running = [...this.steps.values()].filter((s) => s.status === 'started').at(-1);
    return running && running.kind !== 'thinking' ? `${running.label}…` : null;
  }

  /** The progress message: each step on a line, then the answer as it is written. */
  private draft(): string {
    const mark = { started: '…', completed: ' ✓', failed: ' ✗' } as const;
    const steps = [...this.steps.values()]
      .filter((s) => s.kind !== 'thinking')
      .map((s) => `_${s.label}${mark[s.status]}_`);
    const body = [steps.join('\n\n'), this.answerSoFar() || `_${WORKING}_`]
      .filter(Boolean)
      .join('\n\n');
    return renderMessages(body)[0]!;
  }

  private async finish(messageId: string): Promise<void> {
    const { ctx } = this.opts;
    const text = await answerText(ctx.db, messageId);
    const { activityId, extraIds } = await finishAnswer(
      ctx,
      this.start.reference,
      this.row!,
      text,
      this.start.replyToId,
    );
    await ctx.posts.finish(this.row!.id, { activityId, extraIds });
    this.row = { ...this.row!, state: 'final' };
  }
}
