/**
 * Training progress of running jobs, from the `remap/epoch` notifications the server streams
 * after each epoch: the last epoch done, of how many, and the mean seconds an epoch took — what
 * the Queue view needs for "epoch 3/8" with a bar and an ETA. No 'vscode' import.
 */
import type { EpochMetrics } from '../../protocol/remap';

export interface JobProgress {
  /** The last finished epoch (1-based). */
  epoch: number;
  /** Epochs the job trains at most (early stopping may end it sooner). */
  epochs: number;
  /** Mean wall seconds per finished epoch. */
  secondsPerEpoch: number;
}

export interface EpochNotice {
  jobId: number;
  epoch: Pick<EpochMetrics, 'epoch' | 'seconds'>;
  epochs: number;
}

export class EpochProgress {
  private readonly byJob = new Map<number, { epoch: number; epochs: number; seconds: Map<number, number> }>();

  /** Record one epoch notification (a repeated epoch replaces its earlier timing). */
  record(n: EpochNotice): void {
    const entry = this.byJob.get(n.jobId) ?? { epoch: 0, epochs: n.epochs, seconds: new Map<number, number>() };
    entry.epoch = Math.max(entry.epoch, n.epoch.epoch);
    entry.epochs = n.epochs;
    if (Number.isFinite(n.epoch.seconds) && n.epoch.seconds >= 0) entry.seconds.set(n.epoch.epoch, n.epoch.seconds);
    this.byJob.set(n.jobId, entry);
  }

  get(jobId: number): JobProgress | undefined {
    const e = this.byJob.get(jobId);
    if (!e) return undefined;
    const times = [...e.seconds.values()];
    const secondsPerEpoch = times.length ? times.reduce((a, b) => a + b, 0) / times.length : Number.NaN;
    return { epoch: e.epoch, epochs: e.epochs, secondsPerEpoch };
  }

  /** Forget jobs that are no longer running. */
  keepOnly(running: ReadonlySet<number>): void {
    for (const id of [...this.byJob.keys()]) if (!running.has(id)) this.byJob.delete(id);
  }
}
