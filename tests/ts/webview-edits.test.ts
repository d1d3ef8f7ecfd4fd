import { describe, expect, it } from 'vitest';
import type { Spec } from '../../protocol/remap';
import { applyEdits, movedIndex } from '../../webview/src/edits';

const SPEC: Spec = {
  inputShape: [1, 28, 28],
  numClasses: 10,
  layers: [
    { type: 'conv2d', kernelSize: 3, filters: 64, stride: 1, padding: 'valid' },
    { type: 'activation', function: 'relu' },
    { type: 'maxpool', size: 2, stride: 2, padding: 'valid' },
    { type: 'dense', units: 10 },
  ],
};

describe('applyEdits', () => {
  it('applies edits in order with the server wording, without touching the parent', () => {
    const r = applyEdits(SPEC, [
      { op: 'set', index: 0, field: 'filters', value: 16 },
      { op: 'insert', index: 1, layer: { type: 'dropout', rate: 0.5 } },
      { op: 'move', from: 3, to: 0 },
      { op: 'remove', index: 3 },
    ]);
    expect(r.error).toBeNull();
    expect(r.spec.layers.map((l) => l.type)).toEqual(['maxpool', 'conv2d', 'dropout', 'dense']);
    expect(r.log).toEqual([
      'Changed filters at index 0 from 64 to 16',
      'Inserted Dropout 0.5 before index 1',
      'Moved MaxPool 2 from index 3 to 0',
      'Removed Activation relu at index 3',
    ]);
    expect(r.origin).toEqual([2, 0, null, 3]);
    expect([...r.changed]).toEqual([1]);
    expect(SPEC.layers[0]).toMatchObject({ filters: 64 });
    expect(SPEC.layers).toHaveLength(4);
  });

  it('names fields like the server change lists (snake_case)', () => {
    const r = applyEdits(SPEC, [{ op: 'set', index: 0, field: 'kernelSize', value: 5 }]);
    expect(r.log).toEqual(['Changed kernel_size at index 0 from 3 to 5']);
    expect(r.spec.layers[0]).toMatchObject({ kernelSize: 5 });
  });

  it('refuses to remove the output layer or change its units', () => {
    expect(applyEdits(SPEC, [{ op: 'remove', index: 3 }]).error).toEqual({ edit: 0, message: 'the output layer is never removed' });
    expect(applyEdits(SPEC, [{ op: 'set', index: 3, field: 'units', value: 5 }]).error?.message).toContain('class count');
    expect(applyEdits(SPEC, [{ op: 'move', from: 3, to: 0 }]).error?.edit).toBe(0);
  });

  it('reports the first bad edit and ignores the rest', () => {
    const r = applyEdits(SPEC, [{ op: 'remove', index: 1 }, { op: 'remove', index: 9 }, { op: 'remove', index: 0 }]);
    expect(r.error?.edit).toBe(1);
    expect(r.spec.layers).toHaveLength(3);
    expect(applyEdits(SPEC, [{ op: 'set', index: 1, field: 'filters', value: 3 }]).error?.message).toContain('has no field filters');
  });

  it('computes where an index ends up after a move', () => {
    expect([0, 1, 2, 3, 4].map((i) => movedIndex(i, 1, 3))).toEqual([0, 3, 1, 2, 4]);
    expect([0, 1, 2, 3, 4].map((i) => movedIndex(i, 3, 1))).toEqual([0, 2, 3, 1, 4]);
  });
});
