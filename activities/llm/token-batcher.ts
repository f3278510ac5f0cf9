/**
 * Groups streamed tokens into small batches for the event bus: the first delta goes out at
 * once (time to first token matters to a person watching), later ones at most every
 * `intervalMs`, which keeps NOTIFY traffic and SSE frames low for fast models.
 */
export class TokenBatcher {
  private buffer = '';
  private timer: NodeJS.Timeout | null = null;
  private sentFirst = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (delta: string) => Promise<void>,
    private readonly intervalMs = 25,
  ) {}

  push(delta: string): void {
    if (!delta) return;
    this.buffer += delta;
    if (!this.sentFirst) {
      this.sentFirst = true;
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
    }
  }

  /** Sends what is buffered and resolves once every batch so far has been sent, in order. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer) return;
    const delta = this.buffer;
    this.buffer = '';
    // Live events are best effort: a lost batch must not fail the turn.
    this.chain = this.chain.then(() => this.send(delta)).catch(() => undefined);
  }
}
