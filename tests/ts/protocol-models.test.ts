// One naming and one order of models for the extension and the webviews (protocol/models.ts):
// the side-bar trees, quick picks and the map panel's drawer, inspector, tooltips, builder,
// queue and diff all show `modelLabel`, and both drawers sort with `compareModels`.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_ORDER, compareModels, givenName, idLabel, modelLabel } from '../../protocol/models';
import { drawerEntries, sortModels } from '../../extension/src/treeData';
import { sortRows } from '../../webview/src/drawer';
import { row } from './extension-fixtures';

describe('model labels', () => {
  it('is "#id" for an unnamed model and "#id name" for a named one', () => {
    expect(modelLabel({ id: 10, name: '' })).toBe('#10');
    expect(modelLabel({ id: 12, name: 'best_model' })).toBe('#12 best_model');
    expect(idLabel(7)).toBe('#7');
  });
  it('treats the "m<id>" that older servers synthesized as no name (never "#10 m10")', () => {
    expect(modelLabel({ id: 10, name: 'm10' })).toBe('#10');
    expect(givenName({ id: 10, name: 'm10' })).toBe('');
    // a user's name that merely looks like another model's is kept
    expect(modelLabel({ id: 10, name: 'm9' })).toBe('#10 m9');
  });
});

describe('one order for both drawers', () => {
  const rows = [
    row(1, { valAcc: 0.3, params: 500 }),
    row(2, { valAcc: 0.9, params: 100 }),
    row(3, { valAcc: null, state: 'untrained', params: 300 }),
    row(4, { valAcc: 0.9, params: 100 }),
    row(5, { valAcc: 0.6, params: 50 }),
  ];
  it('starts with the best accuracy first, untrained last, ties by id', () => {
    expect([...rows].sort((a, b) => compareModels(DEFAULT_MODEL_ORDER, a, b)).map((r) => r.id)).toEqual([2, 4, 5, 1, 3]);
  });
  it('gives the side-bar drawer, All Models and the webview drawer the same default order', () => {
    const ids = [3, 1, 5, 4, 2]; // the order they were added in
    const byId = new Map(rows.map((r) => [r.id, r]));
    const sideBar = drawerEntries(ids, byId).map((e) => e.id);
    const webview = sortRows(ids.map((id) => byId.get(id)!), DEFAULT_MODEL_ORDER.key, DEFAULT_MODEL_ORDER.dir).map((r) => r.id);
    expect(sideBar).toEqual([2, 4, 5, 1, 3]);
    expect(webview).toEqual(sideBar);
    expect(sortModels(rows, 'accuracy').map((r) => r.id)).toEqual(sideBar);
  });
});
