import { describe, expect, it } from 'vitest';
import type { ChangeType, MapResult, ModelRow } from '../../protocol/remap';
import { sortRows } from '../../webview/src/drawer';
import { describeResult, enabledPairs, offeredChanges } from '../../webview/src/generate';
import { DIMMED, FAILED, HOLLOW, R_MAX, R_MIN, UNKNOWN, buildMapData, colourBuckets, placeWorld, radiusFor } from '../../webview/src/mapData';
import { fitBase, screenRectToWorld } from '../../webview/src/scales';
import { accuracyRamp, bucketOf, mix, parseColor } from '../../webview/src/theme';

const row = (id: number, params: number, valAcc: number | null, state: ModelRow['state'] = 'trained'): ModelRow => ({
  id, name: `m${id}`, origin: 'sampled', parentId: id > 1 ? 1 : null, changes: [], params, flops: 0, layers: '', state,
  valAcc, trainAcc: valAcc, epochs: 1, seconds: 1, jobId: null,
});

describe('map data', () => {
  const rows = [row(1, 1e3, 0.2), row(2, 1e6, 0.8), row(3, 1e4, 0.5), row(4, 1e5, null, 'queued'), row(5, 1e5, null, 'failed')];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const map: MapResult = {
    view: 'architecture', method: 'umap', note: null, movement: null, trustworthiness: null, axes: { x: '', y: '' },
    points: rows.map((r, i) => ({ id: r.id, x: i, y: i % 2 })).concat([{ id: 99, x: 9, y: 9 }]),
    edges: [{ parent: 1, child: 2 }, { parent: 1, child: 3 }, { parent: 1, child: 77 }],
  };

  it('sizes points by log(params) and keeps only edges between shown points', () => {
    const d = buildMapData(map, byId);
    expect(d.n).toBe(6);
    expect(d.radius[0]).toBeCloseTo(R_MIN);
    expect(d.radius[1]).toBeCloseTo(R_MAX);
    expect(d.radius[2]).toBeCloseTo(radiusFor(1e4, 3, 6));
    expect(Array.from(d.edges)).toEqual([0, 1, 0, 2]);
    expect(d.indexOf.get(99)).toBe(5);
  });

  it('colours by value between the min and max; hollow, failed, unknown and filtered get their own codes', () => {
    const d = buildMapData(map, byId);
    colourBuckets(d, byId, (m) => m.valAcc, (m) => m.id !== 3, 16);
    expect(Array.from(d.bucket)).toEqual([0, 15, DIMMED, HOLLOW, FAILED, UNKNOWN]);
    expect([d.lo, d.hi]).toEqual([0.2, 0.8]);
    // recolouring by another value (per-class accuracy) changes the buckets
    colourBuckets(d, byId, (m) => (m.id === 1 ? 0.9 : m.id === 2 ? 0.1 : null), () => true, 16);
    expect(Array.from(d.bucket).slice(0, 3)).toEqual([15, 0, UNKNOWN]);
  });

  it('brushing a screen rectangle selects the points inside it', () => {
    const d = buildMapData(map, byId);
    placeWorld(d, fitBase(d.extent, 400, 300, 10, true));
    const zoom = { k: 1, tx: 0, ty: 0 };
    const all = d.index.queryRect(screenRectToWorld(zoom, { x0: 0, y0: 0, x1: 400, y1: 300 }));
    expect(all).toHaveLength(6);
    const left = d.index.queryRect(screenRectToWorld(zoom, { x0: 0, y0: 0, x1: 130, y1: 300 }));
    // x = 0, 1, 2 map to world x ≈ 60, 91, 122 (uniform scale 280/9 centred in 400 px)
    expect(left.map((i) => d.ids[i])).toEqual([1, 2, 3]);
  });
});

describe('theme colours', () => {
  it('parses CSS colours', () => {
    expect(parseColor('#fff')).toEqual([255, 255, 255, 1]);
    expect(parseColor('#1e1e1e80')?.[3]).toBeCloseTo(0.5, 2);
    expect(parseColor('rgb(10, 20, 30)')).toEqual([10, 20, 30, 1]);
    expect(parseColor('rgba(10 20 30 / 0.5)')).toEqual([10, 20, 30, 0.5]);
    expect(parseColor('banana')).toBeNull();
  });
  it('ramps from a faint tint to the foreground: darker = more accurate on light themes', () => {
    const ramp = accuracyRamp([255, 255, 255, 1], [0, 0, 0, 1], 4).map((c) => parseColor(c)?.[0] ?? -1);
    expect(ramp[3]).toBe(0);
    expect(ramp[0]).toBeGreaterThan(ramp[1] as number);
    expect(ramp[1]).toBeGreaterThan(ramp[2] as number);
    expect(mix([0, 0, 0, 1], [100, 200, 50, 1], 0.5)).toEqual([50, 100, 25, 1]);
    expect(bucketOf(0.5, 0, 1, 16)).toBe(8);
    expect(bucketOf(1, 0, 1, 16)).toBe(15);
    expect(bucketOf(0.3, 0.3, 0.3, 16)).toBe(15);
  });
});

describe('drawer and generate helpers', () => {
  it('sorts drawer rows by a column in either direction, ties by id', () => {
    const rows = [row(1, 500, 0.3), row(2, 100, 0.9), row(3, 300, null), row(4, 100, 0.9)];
    expect(sortRows(rows, 'valAcc', -1).map((r) => r.id)).toEqual([2, 4, 1, 3]);
    expect(sortRows(rows, 'params', 1).map((r) => r.id)).toEqual([2, 4, 3, 1]);
    // by name: named models alphabetically, unnamed ones (no name, or a legacy "m<id>") after them by id
    const named = [{ ...row(1, 1, 0.1), name: 'zeta' }, { ...row(2, 1, 0.1), name: '' }, { ...row(3, 1, 0.1), name: 'alpha' }, row(4, 1, 0.1)];
    expect(sortRows(named, 'name', 1).map((r) => r.id)).toEqual([3, 1, 2, 4]);
  });
  it('lists the enabled (layer, change) pairs only when something was switched off, and only pairs that can apply', () => {
    // As the server offers them: every change on hidden layers, only an insertion before the output layer.
    const all: ChangeType[] = ['insert', 'remove', 'replace', 'reparameterise'];
    const offered = offeredChanges([{ changes: all }, { changes: ['insert', 'remove', 'replace'] }, { changes: ['insert'] }]);
    expect(enabledPairs(offered, [])).toBeUndefined();
    const pairs = enabledPairs(offered, [[0, 'insert'], [1, 'remove']]);
    expect(pairs).toContainEqual([0, 'remove']);
    expect(pairs).not.toContainEqual([0, 'insert']);
    expect(pairs).not.toContainEqual([1, 'remove']);
    expect(pairs).not.toContainEqual([1, 'reparameterise']);
    for (const t of ['remove', 'replace', 'reparameterise'] as ChangeType[]) expect(pairs).not.toContainEqual([2, t]);
    expect(pairs).toContainEqual([2, 'insert']);
    expect(pairs).toHaveLength(4 + 3 + 1 - 2);
    expect(offeredChanges([{}])).toEqual([['insert']]); // an older server: insertions only
  });
  it('summarises a generate result', () => {
    expect(describeResult({ created: [5, 6], existing: [2], jobs: [9, 10], skipped: ['layer 3: would be invalid'] }))
      .toBe('created 2 models, 1 already existed, queued 2 training jobs, skipped: layer 3: would be invalid');
  });
});
