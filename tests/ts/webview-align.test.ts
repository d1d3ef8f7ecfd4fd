import { describe, expect, it } from 'vitest';
import type { Layer } from '../../protocol/remap';
import { alignFromChanges, alignLayers, diffFields, parseChange, summarise } from '../../webview/src/align';
import { applyEdits } from '../../webview/src/edits';

const conv = (k: number, f: number): Layer => ({ type: 'conv2d', kernelSize: k, filters: f, stride: 1, padding: 'valid' });
const relu: Layer = { type: 'activation', function: 'relu' };
const max2: Layer = { type: 'maxpool', size: 2, stride: 2, padding: 'valid' };
const avg2: Layer = { type: 'avgpool', size: 2, stride: 2, padding: 'valid' };
const dense = (u: number): Layer => ({ type: 'dense', units: u });
const drop: Layer = { type: 'dropout', rate: 0.25 };
const PARENT: Layer[] = [conv(3, 16), relu, max2, conv(3, 64), relu, dense(128), drop, dense(10)];

describe('alignLayers (Needleman–Wunsch)', () => {
  it('aligns identical models one to one', () => {
    const rows = alignLayers(PARENT, PARENT);
    expect(rows.every((r, i) => r.kind === 'same' && r.a === i && r.b === i)).toBe(true);
  });

  it('finds a removal, an insertion and a changed hyper-parameter', () => {
    const other = [conv(3, 16), relu, conv(3, 32), relu, dense(128), drop, drop, dense(10)];
    // removed the max pool, filters 64 → 32, inserted a second dropout
    const rows = alignLayers(PARENT, other);
    expect(summarise(rows)).toEqual({ same: 6, changed: 1, replaced: 0, inserted: 1, removed: 1 });
    expect(rows.find((r) => r.kind === 'removed')?.a).toBe(2);
    const changed = rows.find((r) => r.kind === 'changed');
    expect(changed).toMatchObject({ a: 3, b: 2, fields: ['filters'] });
    // every layer of both models appears exactly once, in order
    expect(rows.map((r) => r.a).filter((a) => a !== null)).toEqual(PARENT.map((_, i) => i));
    expect(rows.map((r) => r.b).filter((b) => b !== null)).toEqual(other.map((_, i) => i));
  });

  it('matches max with avg pooling as a change but never conv with dense', () => {
    const rows = alignLayers([max2, dense(10)], [avg2, dense(10)]);
    expect(rows[0]).toMatchObject({ a: 0, b: 0, kind: 'changed', fields: ['type'] });
    const none = alignLayers([conv(3, 8)], [dense(8)]);
    expect(none.map((r) => r.kind).sort()).toEqual(['inserted', 'removed']);
  });

  it('handles empty sequences', () => {
    expect(alignLayers([], [dense(10)])).toEqual([{ a: null, b: 0, kind: 'inserted', fields: [] }]);
    expect(alignLayers([dense(10)], [])).toEqual([{ a: 0, b: null, kind: 'removed', fields: [] }]);
  });

  it('names the differing fields', () => {
    expect(diffFields(conv(3, 16), conv(5, 32))).toEqual(['filters', 'kernelSize']);
    expect(diffFields(relu, relu)).toEqual([]);
  });
});

describe('alignFromChanges', () => {
  it('parses the server change-log wording', () => {
    expect(parseChange('Removed Conv2D 3×3/16 at index 0')).toEqual({ op: 'remove', index: 0 });
    expect(parseChange('Changed filters at index 3 from 64 to 16')).toEqual({ op: 'set', index: 3, field: 'filters', value: '16' });
    expect(parseChange('Inserted Dropout 0.5 before index 2')).toMatchObject({ op: 'insert', index: 2, layer: { type: 'dropout', rate: 0.5 } });
    expect(parseChange('Replaced MaxPool 2 at index 2 with AvgPool 3')).toMatchObject({ op: 'replace', index: 2 });
    expect(parseChange('Repaired Dense 10 at index 7: features 676 → 2704 (weights re-initialised)')).toBeNull();
    expect(parseChange('Something else entirely')).toBe('unknown');
  });

  it('replays a hand-crafted edit log (sequential indices) into an exact alignment', () => {
    const applied = applyEdits({ inputShape: [1, 28, 28], numClasses: 10, layers: PARENT }, [
      { op: 'remove', index: 2 },
      { op: 'set', index: 2, field: 'filters', value: 32 },
      { op: 'insert', index: 0, layer: { type: 'batchnorm' } },
    ]);
    expect(applied.error).toBeNull();
    const rows = alignFromChanges(PARENT, applied.spec.layers, applied.log);
    expect(rows).not.toBeNull();
    expect(summarise(rows ?? [])).toEqual({ same: 6, changed: 1, replaced: 0, inserted: 1, removed: 1 });
    expect(rows?.[0]).toEqual({ a: null, b: 0, kind: 'inserted', fields: [] });
    expect(rows?.find((r) => r.kind === 'removed')?.a).toBe(2);
    expect(rows?.find((r) => r.kind === 'changed')).toMatchObject({ a: 3, b: 3, fields: ['filters'] });
  });

  it('replays variation changes that use the parent indices', () => {
    const child = [conv(3, 16), relu, avg2, conv(3, 64), dense(128), drop, dense(10)];
    const rows = alignFromChanges(PARENT, child, ['Replaced MaxPool 2 at index 2 with AvgPool 2', 'Removed Activation relu at index 4']);
    expect(rows?.map((r) => r.kind)).toEqual(['same', 'same', 'replaced', 'same', 'removed', 'same', 'same', 'same']);
  });

  it('returns null when the change list does not reproduce the child', () => {
    expect(alignFromChanges(PARENT, PARENT.slice(1), ['Removed Dense 10 at index 7'])).toBeNull();
    expect(alignFromChanges(PARENT, PARENT, ['gibberish'])).toBeNull();
  });
});
