/** Shared builders for the extension unit tests (ModelRow and Job objects). */
import type { Job, ModelRow } from '../../protocol/remap';

export function row(id: number, over: Partial<ModelRow> = {}): ModelRow {
  return {
    id,
    name: `m${id}`,
    origin: 'sampled',
    parentId: null,
    changes: [],
    params: 1000 * id,
    flops: 0,
    layers: 'Conv2D 3×3/16 → MaxPool 2 → Dense 10',
    state: 'trained',
    valAcc: 0.5,
    trainAcc: 0.6,
    epochs: 1,
    seconds: 1,
    jobId: null,
    ...over,
  };
}

export function job(id: number, over: Partial<Job> = {}): Job {
  return {
    id,
    modelId: id * 10,
    state: 'queued',
    priority: 0,
    position: id,
    epochs: 1,
    attempts: 0,
    cancelRequested: false,
    error: null,
    createdAt: 0,
    startedAt: null,
    finishedAt: null,
    runId: null,
    ...over,
  };
}
