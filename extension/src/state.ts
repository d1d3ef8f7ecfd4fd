/**
 * The extension's copy of what the server knows: the model rows (`remap/listModels`) and the
 * queue (`remap/queueChanged` / `remap/queue list`). Refreshes are coalesced (one in flight,
 * at most one follow-up) so a burst of `remap/modelsChanged` costs one request. Trees, the
 * status bar and quick picks read it. No 'vscode' import.
 */
import { idLabel, modelLabel } from '../../protocol/models';
import { type EpochNotice, EpochProgress, type JobProgress } from './epochProgress';
import { Listeners, type Subscription } from './events';
import type { ModelRow, QueueState } from '../../protocol/remap';
import { SerialTask } from './serialTask';

export interface DataSource {
  listModels(): Promise<ModelRow[]>;
  listQueue(): Promise<QueueState>;
}

export class RemapData {
  private rows: ModelRow[] = [];
  private index = new Map<number, ModelRow>();
  private queueState: QueueState | undefined;
  private readonly epochs = new EpochProgress();
  private readonly changed = new Listeners<'models' | 'queue'>();
  private readonly modelTask: SerialTask;
  private readonly queueTask: SerialTask;
  private modelError: string | undefined;
  private queueError: string | undefined;

  constructor(private readonly source: DataSource) {
    this.modelTask = new SerialTask(async () => {
      try {
        this.setModels(await this.source.listModels());
        this.modelError = undefined;
      } catch (err) {
        this.modelError = err instanceof Error ? err.message : String(err);
      }
    });
    this.queueTask = new SerialTask(async () => {
      try {
        this.setQueue(await this.source.listQueue());
        this.queueError = undefined;
      } catch (err) {
        this.queueError = err instanceof Error ? err.message : String(err);
      }
    });
  }

  /** Why the last read of the models or the queue failed; undefined once both succeeded. */
  get lastError(): string | undefined {
    return this.modelError ?? this.queueError;
  }

  get models(): readonly ModelRow[] {
    return this.rows;
  }

  /** How the extension names model `id`: its row's label, or "#id" while the row is not loaded. */
  label(id: number): string {
    const row = this.byId.get(id);
    return row ? modelLabel(row) : idLabel(id);
  }

  get byId(): ReadonlyMap<number, ModelRow> {
    return this.index;
  }

  get queue(): QueueState | undefined {
    return this.queueState;
  }

  onDidChange(listener: (what: 'models' | 'queue') => void): Subscription {
    return this.changed.on(listener);
  }

  refreshModels(): Promise<void> {
    return this.modelTask.run();
  }

  refreshQueue(): Promise<void> {
    return this.queueTask.run();
  }

  refresh(): Promise<void> {
    return Promise.all([this.refreshModels(), this.refreshQueue()]).then(() => undefined);
  }

  setModels(rows: ModelRow[]): void {
    this.rows = [...rows].sort((a, b) => a.id - b.id);
    this.index = new Map(this.rows.map((r) => [r.id, r]));
    this.changed.fire('models');
  }

  /** From `remap/queueChanged` (active jobs only) or `remap/queue` (all jobs). */
  setQueue(state: QueueState): void {
    this.queueState = state;
    this.epochs.keepOnly(new Set(state.jobs.filter((j) => j.state === 'running').map((j) => j.id)));
    this.changed.fire('queue');
  }

  /** From `remap/epoch`: a running job finished an epoch (the Queue view shows i/n and an ETA). */
  recordEpoch(notice: EpochNotice): void {
    this.epochs.record(notice);
    this.changed.fire('queue');
  }

  /** Epoch progress of a running job, if an epoch of it finished while we listened. */
  progress(jobId: number): JobProgress | undefined {
    return this.epochs.get(jobId);
  }

  /**
   * Forget the queue: it belonged to a server that is gone, and the next one may differ (jobs
   * re-queued or failed by the crash); the status bar shows no counts until it is re-read.
   */
  forgetQueue(): void {
    if (this.queueState === undefined) return;
    this.queueState = undefined;
    this.changed.fire('queue');
  }

  /** Forget everything (server stopped). */
  clear(): void {
    this.rows = [];
    this.index = new Map();
    this.queueState = undefined;
    this.changed.fire('models');
    this.changed.fire('queue');
  }

  /** The best trained model (highest validation accuracy), if any. */
  best(): ModelRow | undefined {
    let best: ModelRow | undefined;
    for (const r of this.rows) {
      if (r.valAcc !== null && (best === undefined || (best.valAcc ?? -1) < r.valAcc)) best = r;
    }
    return best;
  }
}

/**
 * Models in the order a quick pick offers them: the preferred one (the inspected model) first,
 * then trained models by accuracy, then the rest by id; `filter` narrows the list.
 */
export function pickOrder(
  rows: readonly ModelRow[],
  preferred?: number,
  filter: (row: ModelRow) => boolean = () => true,
): ModelRow[] {
  return rows.filter(filter).sort((a, b) => {
    if (a.id === preferred) return -1;
    if (b.id === preferred) return 1;
    const accA = a.valAcc ?? -1;
    const accB = b.valAcc ?? -1;
    return accB - accA || a.id - b.id;
  });
}
