import type { ConversationEvent, EventBus, StepEvent } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import type { DiscordApi } from './api.js';
import { MESSAGE_LIMIT } from './format.js';

/**
 * Where a turn's progress shows: the interaction's deferred response (edited until the worker
 * edits it into the answer), or one message in the thread (posted at the first step, edited,
 * and left as the list of what was done).
 */
export type ProgressTarget =
  { kind: 'interaction'; token: string } | { kind: 'channel'; channelId: string };

export interface ProgressOptions {
  api: DiscordApi;
  bus: EventBus;
  log: Logger;
  /** At most one edit per this many ms (Discord allows about five per 5 s). Default 1,000. */
  editEveryMs?: number;
  /** Stop following a turn that has not completed after this long, in ms. Default 15 minutes. */
  followMs?: number;
}

const MARK = { started: '⏳', completed: '✅', failed: '❌' } as const;

/** The progress message: one line per step the agent took (thinking steps are not listed). */
export function progressText(steps: StepEvent[], done: boolean): string | null {
  const shown = steps.filter((s) => s.kind !== 'thinking');
  if (!shown.length) return null;
  const lines = shown.map((s) => `${MARK[s.status]} ${s.label.replace(/\n/g, ' ').slice(0, 200)}`);
  const header = done ? '-# What I did' : '-# Working on it…';
  let text = [header, ...lines].join('\n');
  // Keep the newest lines when a long turn has more steps than a message holds.
  while (text.length > MESSAGE_LIMIT && lines.length > 1) {
    lines.shift();
    text = [header, '…', ...lines].join('\n');
  }
  return text.slice(0, MESSAGE_LIMIT);
}

/**
 * Follows the turns this process delivered on the event bus and edits one message with their
 * steps, throttled. Best effort: the answer itself always comes from the worker.
 */
export class DiscordProgress {
  private readonly turns = new Set<ProgressTurn>();

  constructor(private readonly opts: ProgressOptions) {}

  /** Subscribes before the event is delivered (so no step is missed); `begin` once delivered. */
  prepare(turn: { conversationId: string; turnId: string; target: ProgressTarget }): {
    begin(): void;
    cancel(): void;
  } {
    const follower = new ProgressTurn(this.opts, turn, () => this.turns.delete(follower));
    this.turns.add(follower);
    return { begin: () => void follower.run(), cancel: () => follower.stop() };
  }

  close(): void {
    for (const turn of [...this.turns]) turn.stop();
  }
}

class ProgressTurn {
  private readonly steps = new Map<string, StepEvent>();
  private completed = false;
  private changed = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;
  private messageId: string | null = null;

  constructor(
    private readonly opts: ProgressOptions,
    private readonly turn: { conversationId: string; turnId: string; target: ProgressTarget },
    private readonly done: () => void,
  ) {
    this.unsubscribe = opts.bus.subscribe(turn.conversationId, (event: ConversationEvent) => {
      if (event.turnId !== turn.turnId) return;
      if (event.type === 'step') {
        const seen = this.steps.get(event.stepId);
        if (seen && seen.attempt > event.attempt) return;
        this.steps.set(event.stepId, event);
        this.changed = true;
      } else if (event.type === 'turn.completed') {
        this.completed = true;
      } else {
        return;
      }
      this.wake?.();
    });
  }

  async run(): Promise<void> {
    const { api, log } = this.opts;
    const every = this.opts.editEveryMs ?? 1_000;
    const deadline = Date.now() + (this.opts.followMs ?? 15 * 60_000);
    const { target } = this.turn;
    let lastTyping = 0;
    try {
      while (!this.stopped && !this.completed && Date.now() < deadline) {
        if (target.kind === 'channel' && Date.now() - lastTyping > 8_000) {
          // "Dynamiq is typing…" lasts 10 s; it says the mention was heard at once.
          lastTyping = Date.now();
          void api.typing(target.channelId).catch(() => undefined);
        }
        if (this.changed) {
          this.changed = false;
          await this.show(false);
        }
        await this.idle(every);
      }
      // The interaction's response becomes the answer (the worker edits it); a thread keeps
      // the list of what was done.
      if (this.completed && target.kind === 'channel') await this.show(true);
    } catch (err) {
      log.warn({ err, conversationId: this.turn.conversationId }, 'Discord progress stopped');
    } finally {
      this.stop();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.wake?.();
    this.done();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        this.wake = null;
        // A completed turn ends the wait; a new step waits out the throttle.
        if (this.completed || this.stopped) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }

  private async show(done: boolean): Promise<void> {
    const { api } = this.opts;
    const text = progressText([...this.steps.values()], done);
    if (!text) return;
    const { target } = this.turn;
    if (target.kind === 'interaction') {
      // Checked again right before the edit: the worker edits the same message into the answer.
      if (this.completed) return;
      await api.editOriginal(target.token, { content: text });
    } else if (this.messageId) {
      await api.editMessage(target.channelId, this.messageId, { content: text });
    } else {
      this.messageId = (await api.createMessage(target.channelId, { content: text })).id;
    }
  }
}
