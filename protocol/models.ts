/**
 * How every part of the client names and orders models, so the side bar, quick picks, the map
 * panel's drawer, inspector, tooltips, builder, queue and diff agree: the label ("#10" for an
 * unnamed model, "#12 best_model" for a named one) and the one comparison both drawers and the
 * All models view sort by. Pure functions over protocol rows; the extension and the webviews
 * import them (the server's CLI follows the same rule in remap.service.naming).
 */
import type { ModelRow } from './remap';

/**
 * The name the user gave the model, or '' when none. The server sends '' for an unnamed model;
 * stores written before it did so may carry the synthesized "m<id>", which is no name either.
 */
export function givenName(row: Pick<ModelRow, 'id' | 'name'>): string {
  const name = (row.name ?? '').trim();
  return name === `m${row.id}` ? '' : name;
}

/** "#10" for an unnamed model, "#12 best_model" for a named one. */
export function modelLabel(row: Pick<ModelRow, 'id' | 'name'>): string {
  const name = givenName(row);
  return name ? `#${row.id} ${name}` : `#${row.id}`;
}

/** The label of a model known only by id (a row not loaded yet, or gone from the store). */
export function idLabel(id: number): string {
  return `#${id}`;
}

/** What a model list can be sorted by: a column and a direction (1 ascending, -1 descending). */
export type ModelSortKey = 'valAcc' | 'params' | 'id' | 'name';
export interface ModelOrder {
  key: ModelSortKey;
  dir: 1 | -1;
}

/** The order both drawers and the All models view start in: best accuracy first, then by id. */
export const DEFAULT_MODEL_ORDER: ModelOrder = { key: 'valAcc', dir: -1 };

type Sortable = Pick<ModelRow, 'id' | 'name' | 'valAcc' | 'params'>;

/**
 * The one comparison for model lists: by the key in the given direction (an untrained model
 * counts as accuracy −1, so it goes last when best comes first; unnamed models sort after named
 * ones by name), ties by id ascending.
 */
export function compareModels(order: ModelOrder, a: Sortable, b: Sortable): number {
  let c: number;
  if (order.key === 'name') {
    const na = givenName(a);
    const nb = givenName(b);
    c = na && nb ? na.localeCompare(nb) : (na ? 0 : 1) - (nb ? 0 : 1);
  } else if (order.key === 'valAcc') c = (a.valAcc ?? -1) - (b.valAcc ?? -1);
  else if (order.key === 'params') c = a.params - b.params;
  else c = a.id - b.id;
  return c * order.dir || a.id - b.id;
}
