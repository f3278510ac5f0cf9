/**
 * What to undo when the process stops, in reverse order of start: the server before the
 * Temporal client, the worker before the database. A failing step is reported and the rest
 * still run, so one stuck part never keeps the others open.
 */
export class Shutdown {
  private readonly steps: Array<() => Promise<unknown>> = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Runs every step once, newest first; safe to call again. */
  async run(): Promise<void> {
    while (this.steps.length) {
      try {
        await this.steps.pop()!();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
