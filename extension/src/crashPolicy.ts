/**
 * Crash recovery policy for the language server: restart after a crash, but at most
 * `maxRestarts` times within `windowMs`; past that, give up *loudly* (the caller shows an error
 * with Restart / Show logs actions). No 'vscode' import.
 */

export type CrashDecision = { action: 'restart'; attempt: number } | { action: 'giveUp'; crashes: number };

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly maxRestarts = 3,
    private readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record a crash and decide what to do about it. */
  onCrash(): CrashDecision {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    if (this.crashes.length <= this.maxRestarts) {
      return { action: 'restart', attempt: this.crashes.length };
    }
    return { action: 'giveUp', crashes: this.crashes.length };
  }

  /** Forget earlier crashes (after a manual restart). */
  reset(): void {
    this.crashes = [];
  }

  /** A sentence for the user when the policy gives up. */
  giveUpMessage(crashes: number): string {
    const minutes = Math.round(this.windowMs / 60_000);
    return `REMAP: the language server crashed ${crashes} times in ${minutes} minute${minutes === 1 ? '' : 's'} and was not restarted again.`;
  }
}
