import { describe, expect, it } from 'vitest';
import {
  activeAmong,
  buildExperiments,
  drawerAdd,
  drawerEntries,
  drawerRemove,
  experimentDescription,
  modelIdOf,
  modelIdsOf,
  moveJob,
  queueOrder,
  sortModels,
} from '../../extension/src/treeData';
import { job, row } from './extension-fixtures';

describe('drawer', () => {
  it('adds without duplicates and removes', () => {
    expect(drawerAdd([3, 1], [1, 2, 2])).toEqual([3, 1, 2]);
    expect(drawerRemove([3, 1, 2], [1, 9])).toEqual([3, 2]);
  });
  it('sorts entries and keeps ids whose model is gone', () => {
    const rows = new Map([1, 2, 3].map((id) => [id, row(id, { valAcc: id === 2 ? 0.9 : 0.1 * id, params: 100 * (4 - id) })]));
    expect(drawerEntries([1, 7, 2, 3], rows, 'accuracy').map((e) => e.id)).toEqual([2, 3, 1, 7]);
    expect(drawerEntries([1, 7, 2, 3], rows, 'params').map((e) => e.id)).toEqual([3, 2, 1, 7]);
    const missing = drawerEntries([7], rows)[0];
    expect(missing?.row).toBeUndefined();
  });
});

describe('all models', () => {
  const rows = [row(1, { valAcc: 0.5, params: 300 }), row(2, { valAcc: 0.9, params: 200 }), row(3, { valAcc: null, state: 'untrained', params: 100 }), row(4, { valAcc: 0.9, params: 400 })];
  it('sorts by accuracy (untrained last), size and recency, ties by id', () => {
    expect(sortModels(rows, 'accuracy').map((r) => r.id)).toEqual([2, 4, 1, 3]);
    expect(sortModels(rows, 'params').map((r) => r.id)).toEqual([3, 2, 1, 4]);
    expect(sortModels(rows, 'recent').map((r) => r.id)).toEqual([4, 3, 2, 1]);
  });
  it('sorts the drawer the same way', () => {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ids = [1, 2, 3, 4];
    expect(drawerEntries(ids, byId, 'accuracy').map((e) => e.id)).toEqual(sortModels(rows, 'accuracy').map((r) => r.id));
    expect(drawerEntries(ids, byId, 'params').map((e) => e.id)).toEqual(sortModels(rows, 'params').map((r) => r.id));
  });
});

describe('queue', () => {
  const jobs = [
    job(1, { state: 'done' }),
    job(2, { state: 'queued', position: 3 }),
    job(3, { state: 'running' }),
    job(4, { state: 'queued', position: 1 }),
    job(5, { state: 'queued', position: 2 }),
  ];
  it('lists running jobs, then queued ones by position', () => {
    expect(queueOrder(jobs).map((j) => j.id)).toEqual([3, 4, 5, 2]);
    expect(queueOrder(jobs, { activeOnly: false }).map((j) => j.id)).toEqual([3, 4, 5, 2, 1]);
  });
  it('moves a queued job one step and returns the whole queued order', () => {
    expect(moveJob(jobs, 5, 'up')).toEqual([5, 4, 2]);
    expect(moveJob(jobs, 5, 'down')).toEqual([4, 2, 5]);
  });
  it('refuses moves past the ends and moves of jobs that are not queued', () => {
    expect(moveJob(jobs, 4, 'up')).toBeNull();
    expect(moveJob(jobs, 2, 'down')).toBeNull();
    expect(moveJob(jobs, 3, 'up')).toBeNull();
    expect(moveJob(jobs, 99, 'up')).toBeNull();
  });
  it('counts a job as finished once it is absent or no longer active', () => {
    expect(activeAmong([1, 2, 3, 9], jobs)).toEqual([2, 3]);
    expect(activeAmong([1], undefined)).toEqual([]);
  });
});

describe('experiments tree', () => {
  const rows = [
    row(1, { valAcc: 0.8, params: 5000 }),
    row(2, { parentId: 1, origin: 'ablation', valAcc: 0.85, params: 4000 }),
    row(3, { parentId: 1, origin: 'variation', valAcc: null, state: 'queued', params: 6000 }),
    row(4, { parentId: 1, origin: 'ablation', valAcc: 0.7, params: 3000 }),
    row(5, { parentId: 2, origin: 'handcrafted', valAcc: 0.9, params: 4100 }),
    row(6), // no lineage: not in the tree
    row(7, { parentId: 99, origin: 'variation' }), // parent not in the store, no children: not in the tree
  ];

  it('roots parents and groups children by experiment kind', () => {
    const roots = buildExperiments(rows);
    expect(roots.map((r) => r.row.id)).toEqual([1]);
    const root = roots[0]!;
    expect(root.groups.map((g) => g.label)).toEqual(['Ablations (2)', 'Variations (1)']);
    expect(root.groups[0]!.children.map((c) => c.row.id)).toEqual([2, 4]);
    const two = root.groups[0]!.children[0]!;
    expect(two.deltaAccuracy).toBe('+5.0 pp');
    expect(two.deltaParams).toBe('−1k');
    expect(two.groups.map((g) => g.label)).toEqual(['Hand-crafted (1)']);
    expect(two.groups[0]!.children[0]!.deltaAccuracy).toBe('+5.0 pp');
  });

  it('describes roots by accuracy and children by their deltas', () => {
    const root = buildExperiments(rows)[0]!;
    expect(experimentDescription(root)).toBe('80.0% · 5k params');
    expect(experimentDescription(root.groups[0]!.children[1]!)).toBe('Δacc −10.0 pp · Δparams −2k');
    expect(experimentDescription(root.groups[1]!.children[0]!)).toBe('Δacc queued · Δparams +1k');
  });

  it('survives a lineage cycle in bad data', () => {
    const cyclic = [row(1, { parentId: 2 }), row(2, { parentId: 1 }), row(3, { parentId: 1 })];
    expect(() => buildExperiments(cyclic)).not.toThrow();
  });
});

describe('command arguments', () => {
  it('finds the model id in numbers, tree nodes, jobs and rows', () => {
    expect(modelIdOf(4)).toBe(4);
    expect(modelIdOf(0)).toBeUndefined();
    expect(modelIdOf({ type: 'model', row: row(7) })).toBe(7);
    expect(modelIdOf(job(2))).toBe(20);
    expect(modelIdOf({ id: 9, row: undefined })).toBe(9);
    expect(modelIdOf(row(11))).toBe(11);
    expect(modelIdOf({ type: 'group', parentId: 1 })).toBeUndefined();
    expect(modelIdOf('3')).toBeUndefined();
  });
  it('uses the multi-selection only when it contains the clicked item', () => {
    const a = { id: 1, row: row(1) };
    const b = { id: 2, row: row(2) };
    const c = { id: 3, row: row(3) };
    expect(modelIdsOf(a, [a, b])).toEqual([1, 2]);
    expect(modelIdsOf(c, [a, b])).toEqual([3]);
    expect(modelIdsOf(a, undefined)).toEqual([1]);
  });
});
