import { describe, expect, it } from 'vitest';
import type { Job, ModelRow } from '../../protocol/remap';
import { estimateSeconds, queuedOrder, ratesOf, remainingSeconds, reorderAfterDrop, reorderStep, sortJobs } from '../../webview/src/queueModel';

const row = (id: number, params: number, seconds: number | null, epochs: number | null, state: ModelRow['state'] = 'trained'): ModelRow => ({
  id, name: `m${id}`, origin: 'sampled', parentId: null, changes: [], params, flops: 0, layers: '', state,
  valAcc: 0.5, trainAcc: 0.5, epochs, seconds, jobId: null,
});

const job = (id: number, state: Job['state'], position: number, extra: Partial<Job> = {}): Job => ({
  id, modelId: id, state, priority: 0, position, epochs: 5, attempts: 0, cancelRequested: false, error: null,
  createdAt: 100 + id, startedAt: null, finishedAt: null, runId: null, ...extra,
});

describe('training time estimate', () => {
  const models = [row(1, 1e3, 10, 10), row(2, 1e4, 20, 10), row(3, 1e5, 50, 10), row(4, 1e6, 300, 10),
    row(5, 1e4, null, null, 'untrained'), row(6, 1e5, 0, 10)];
  it('uses seconds per epoch of trained models only', () => {
    expect(ratesOf(models).map((r) => r.secondsPerEpoch)).toEqual([1, 2, 5, 30]);
  });
  it('takes the median of the k models nearest in log(params), times the epochs', () => {
    const rates = ratesOf(models);
    expect(estimateSeconds(1e4, 10, rates, 1)).toBe(20);
    expect(estimateSeconds(1.2e5, 4, rates, 1)).toBe(20);
    expect(estimateSeconds(1e4, 10, rates, 3)).toBe(20); // nearest 1e3,1e4,1e5 → median 2 s/epoch
    expect(estimateSeconds(1e6, 10, rates, 2)).toBe(175);
    expect(estimateSeconds(1e4, 10, [], 3)).toBeNull();
  });
  it('counts down for running jobs', () => {
    expect(remainingSeconds(100, 1000, 1030)).toBe(70);
    expect(remainingSeconds(100, 1000, 1500)).toBe(0);
    expect(remainingSeconds(null, 1000, 1500)).toBeNull();
  });
});

describe('queue order', () => {
  const jobs = [job(1, 'done', 0, { finishedAt: 50 }), job(2, 'queued', 2), job(3, 'running', 0, { startedAt: 10 }),
    job(4, 'queued', 1), job(5, 'queued', 3, { priority: 1 }), job(6, 'failed', 0, { finishedAt: 60 })];
  it('sorts like the server: running, queued by priority then position, finished newest first', () => {
    expect(sortJobs(jobs).map((j) => j.id)).toEqual([3, 5, 4, 2, 6, 1]);
    expect(queuedOrder(jobs)).toEqual([5, 4, 2]);
  });
  it('computes the order after a drop', () => {
    expect(reorderAfterDrop([5, 4, 2], 2, 5)).toEqual([2, 5, 4]);
    expect(reorderAfterDrop([5, 4, 2], 5, 2, true)).toEqual([4, 2, 5]);
    expect(reorderAfterDrop([5, 4, 2], 5, 4)).toBeNull(); // dropped on its right neighbour's top half: unchanged
    expect(reorderAfterDrop([5, 4, 2], 9, 4)).toBeNull();
  });
  it('steps a job up or down', () => {
    expect(reorderStep([5, 4, 2], 4, -1)).toEqual([4, 5, 2]);
    expect(reorderStep([5, 4, 2], 2, 1)).toBeNull();
  });
});
