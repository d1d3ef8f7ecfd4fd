import { describe, expect, it } from 'vitest';
import { parseState, serialiseState } from '../../webview/src/state';
import type { PanelState } from '../../webview/src/state';

describe('panel state', () => {
  const full: PanelState = {
    v: 1, panel: 'map', focusModel: 12, drawer: [3, 4], selection: [4],
    panes: [{ view: 'architecture', zoom: { k: 2, tx: -10, ty: 5 } }, { view: 'accuracy', zoom: null }],
    tab: 'generate', filters: { acc: [0.5, 0.9], params: null }, sort: { key: 'params', dir: 1 },
    selectedClass: 2, panMode: true, showEdges: false,
    builder: { modelId: 12, mode: 'handcraft', edits: [{ op: 'remove', index: 1 }, { op: 'set', index: 0, field: 'filters', value: 16 }], ablate: [1], count: 7, maxChanges: 2, disabled: [[0, 'insert']] },
  };

  it('round-trips through JSON', () => {
    const text = JSON.stringify(serialiseState(full));
    expect(parseState(JSON.parse(text))).toEqual(full);
  });

  it('rejects foreign or versionless state', () => {
    expect(parseState(undefined)).toBeNull();
    expect(parseState({ panel: 'map' })).toBeNull();
    expect(parseState({ v: 2, panel: 'map' })).toBeNull();
    expect(parseState({ v: 1, panel: 'sidebar' })).toBeNull();
  });

  it('drops malformed fields instead of failing', () => {
    const s = parseState({
      v: 1, panel: 'queue', focusModel: 'x', drawer: [1, 'a', 2.5, 3], panes: [{ view: 'nope' }, { view: 'prediction', zoom: { k: -1 } }],
      tab: 'elsewhere', filters: { acc: [0.9, 0.1], params: [2, 5] }, sort: { key: 'colour', dir: 1 }, selectedClass: 'cat',
      builder: { mode: 'weird', edits: [{ op: 'remove', index: 1 }, { op: 'explode' }], count: 99, maxChanges: 0, disabled: [[1, 'melt'], [2, 'remove']] },
    });
    expect(s).toEqual({
      v: 1, panel: 'queue', drawer: [1, 3], panes: [{ view: 'prediction', zoom: null }],
      filters: { acc: null, params: [2, 5] },
      builder: { modelId: null, mode: 'ablate', edits: [{ op: 'remove', index: 1 }], ablate: [], count: 20, maxChanges: 1, disabled: [[2, 'remove']] },
    });
  });
});
