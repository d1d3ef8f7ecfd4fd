/**
 * The restart guard: runs an async task so that two runs never overlap. A run requested while
 * one is in progress is coalesced into a single follow-up run after it (so a request made
 * mid-restart — e.g. after the interpreter setting changed — is not lost). No 'vscode' import.
 */

const ignore = (): void => undefined;

export class SerialTask {
  private current: Promise<void> | undefined;
  private follow: Promise<void> | undefined;
  private runs = 0;

  constructor(private readonly task: () => Promise<void>) {}

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** How many runs have started (for logs and tests). */
  get started(): number {
    return this.runs;
  }

  /** Resolves (never rejects) once no run is in progress or scheduled. */
  async settled(): Promise<void> {
    while (this.current !== undefined || this.follow !== undefined) {
      await (this.follow ?? this.current)?.then(ignore, ignore);
    }
  }

  /**
   * Start a run now, or — when one is running — schedule one follow-up run after it. Every
   * caller that arrives during a run shares the same follow-up. Resolves when the run that
   * covers this request has finished; rejects with that run's error.
   */
  run(): Promise<void> {
    if (this.current === undefined) return this.launch();
    if (this.follow === undefined) {
      this.follow = this.current.then(ignore, ignore).then(() => {
        this.follow = undefined;
        return this.run();
      });
    }
    return this.follow;
  }

  private launch(): Promise<void> {
    this.runs += 1;
    const run = (async () => {
      await Promise.resolve(); // `current` is set before the task can finish
      await this.task();
    })();
    const p = run.finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }
}
