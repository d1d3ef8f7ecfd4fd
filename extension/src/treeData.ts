/**
 * The shapes of the side-panel trees, built from server data: the drawer (saved model ids →
 * rows), the queue (active jobs in run order, reordering) and the experiments (each parent with
 * its ablation / variation / hand-crafted children, grouped by kind, with Δaccuracy).
 * Pure functions; no 'vscode' import (trees.ts turns these nodes into TreeItems).
 */
import { formatDeltaAccuracy, formatDeltaParams, formatParams } from './format';
import { DEFAULT_MODEL_ORDER, type ModelOrder, compareModels as compareOrder } from '../../protocol/models';
import type { Job, ModelRow, Origin } from '../../protocol/remap';

// -- drawer -----------------------------------------------------------------------------------

/** `ids` with `add` appended (no duplicates, order kept). */
export function drawerAdd(ids: readonly number[], add: readonly number[]): number[] {
  const out = [...ids];
  for (const id of add) if (Number.isInteger(id) && !out.includes(id)) out.push(id);
  return out;
}

export function drawerRemove(ids: readonly number[], remove: readonly number[]): number[] {
  const drop = new Set(remove);
  return ids.filter((id) => !drop.has(id));
}

export interface DrawerEntry {
  id: number;
  row: ModelRow | undefined; // undefined: the model is gone from the store
}

export type DrawerSort = 'added' | 'accuracy' | 'params';

/** How the All models view sorts: best accuracy first, fewest parameters first, newest first. */
export type ModelSort = 'accuracy' | 'params' | 'recent';

const ORDERS: Record<ModelSort, ModelOrder> = {
  accuracy: DEFAULT_MODEL_ORDER,
  params: { key: 'params', dir: 1 },
  recent: { key: 'id', dir: -1 },
};

/**
 * Model lists in the side bar sort with the webview drawer's comparison (protocol/models.ts):
 * accuracy (best first, untrained last, the default of both drawers), parameters (fewest
 * first), recency (newest first: ids only grow); ties by id. A missing row (a drawer id not in
 * this store) goes last.
 */
export function compareModels(sort: ModelSort, a: ModelRow | undefined, b: ModelRow | undefined): number {
  if (!a || !b) return (a ? 0 : 1) - (b ? 0 : 1);
  return compareOrder(ORDERS[sort], a, b);
}

export function sortModels(rows: readonly ModelRow[], sort: ModelSort): ModelRow[] {
  return [...rows].sort((a, b) => compareModels(sort, a, b));
}

export function drawerEntries(
  ids: readonly number[],
  rows: ReadonlyMap<number, ModelRow>,
  sort: DrawerSort = 'accuracy',
): DrawerEntry[] {
  const entries = ids.map((id) => ({ id, row: rows.get(id) }));
  if (sort !== 'added') entries.sort((a, b) => compareModels(sort, a.row, b.row) || a.id - b.id);
  return entries;
}

// -- queue ------------------------------------------------------------------------------------

const STATE_ORDER: Record<Job['state'], number> = { running: 0, queued: 1, failed: 2, cancelled: 3, done: 4 };

/** Jobs as the queue view lists them: running first, then queued by position, then the rest. */
export function queueOrder(jobs: readonly Job[], { activeOnly = true } = {}): Job[] {
  const list = activeOnly ? jobs.filter((j) => j.state === 'running' || j.state === 'queued') : [...jobs];
  return list.sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      (a.state === 'queued' ? a.position - b.position : 0) ||
      a.id - b.id,
  );
}

/**
 * The full order of queued job ids after moving `jobId` one step up or down, for
 * `remap/queue {action:'reorder', order}`; null when it cannot move (not queued, or already
 * at that end).
 */
export function moveJob(jobs: readonly Job[], jobId: number, direction: 'up' | 'down'): number[] | null {
  const queued = queueOrder(jobs).filter((j) => j.state === 'queued').map((j) => j.id);
  const i = queued.indexOf(jobId);
  if (i < 0) return null;
  const j = direction === 'up' ? i - 1 : i + 1;
  if (j < 0 || j >= queued.length) return null;
  const order = [...queued];
  [order[i], order[j]] = [order[j] as number, order[i] as number];
  return order;
}

/** The ids among `jobs` that are still queued or running in `queue` (absent = finished). */
export function activeAmong(jobs: readonly number[], queue: readonly Job[] | undefined): number[] {
  const live = new Set((queue ?? []).filter((j) => j.state === 'queued' || j.state === 'running').map((j) => j.id));
  return jobs.filter((id) => live.has(id));
}

// -- experiments ------------------------------------------------------------------------------

export type ExperimentKind = Extract<Origin, 'ablation' | 'variation' | 'handcrafted'> | 'other';

export const KIND_LABELS: Record<ExperimentKind, string> = {
  ablation: 'Ablations',
  variation: 'Variations',
  handcrafted: 'Hand-crafted',
  other: 'Other children',
};

export interface ExperimentModelNode {
  type: 'model';
  row: ModelRow;
  parent: ModelRow | undefined;
  /** "+1.2 pp" against the parent (null when either is untrained or there is no parent). */
  deltaAccuracy: string | null;
  deltaParams: string | null;
  groups: ExperimentGroupNode[];
}

export interface ExperimentGroupNode {
  type: 'group';
  kind: ExperimentKind;
  parentId: number;
  label: string;
  children: ExperimentModelNode[];
}

export type ExperimentNode = ExperimentModelNode | ExperimentGroupNode;

function kindOf(origin: Origin): ExperimentKind {
  return origin === 'ablation' || origin === 'variation' || origin === 'handcrafted' ? origin : 'other';
}

/**
 * Roots are the models that have children and no (known) parent; each root lists its children
 * grouped by experiment kind (ablations, variations, hand-crafted), and a child that is itself
 * a parent nests its own groups. Models with no lineage at all are left out.
 */
export function buildExperiments(rows: readonly ModelRow[]): ExperimentModelNode[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const children = new Map<number, ModelRow[]>();
  for (const r of rows) {
    if (r.parentId !== null && byId.has(r.parentId)) {
      const list = children.get(r.parentId) ?? [];
      list.push(r);
      children.set(r.parentId, list);
    }
  }
  const seen = new Set<number>();
  const node = (row: ModelRow): ExperimentModelNode => {
    seen.add(row.id);
    const parent = row.parentId !== null ? byId.get(row.parentId) : undefined;
    const groups = new Map<ExperimentKind, ExperimentModelNode[]>();
    for (const child of (children.get(row.id) ?? []).sort((a, b) => a.id - b.id)) {
      if (seen.has(child.id)) continue; // a cycle in bad data must not recurse forever
      const kind = kindOf(child.origin);
      const list = groups.get(kind) ?? [];
      list.push(node(child));
      groups.set(kind, list);
    }
    const order: ExperimentKind[] = ['ablation', 'variation', 'handcrafted', 'other'];
    return {
      type: 'model',
      row,
      parent,
      deltaAccuracy: parent ? formatDeltaAccuracy(row.valAcc, parent.valAcc) : null,
      deltaParams: parent ? formatDeltaParams(row.params, parent.params) : null,
      groups: order
        .filter((k) => groups.has(k))
        .map((k) => {
          const list = groups.get(k) ?? [];
          return { type: 'group', kind: k, parentId: row.id, label: `${KIND_LABELS[k]} (${list.length})`, children: list };
        }),
    };
  };
  const roots = rows
    .filter((r) => (r.parentId === null || !byId.has(r.parentId)) && children.has(r.id))
    .sort((a, b) => a.id - b.id);
  return roots.map(node);
}

/** The description of a model in the experiments tree. */
export function experimentDescription(n: ExperimentModelNode): string {
  const parts: string[] = [];
  if (n.parent) {
    parts.push(`Δacc ${n.deltaAccuracy ?? (n.row.state === 'trained' ? '—' : n.row.state)}`);
    if (n.deltaParams) parts.push(`Δparams ${n.deltaParams}`);
  } else {
    parts.push(n.row.valAcc !== null ? `${(n.row.valAcc * 100).toFixed(1)}%` : n.row.state);
    parts.push(`${formatParams(n.row.params)} params`);
  }
  return parts.join(' · ');
}

// -- command arguments ------------------------------------------------------------------------

/**
 * The model id a command was invoked on: a number, an experiments node, a drawer entry, a
 * queue job or a ModelRow; undefined for anything else (then the command asks).
 */
export function modelIdOf(arg: unknown): number | undefined {
  if (typeof arg === 'number') return Number.isInteger(arg) && arg > 0 ? arg : undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const o = arg as { type?: unknown; row?: { id?: unknown }; id?: unknown; modelId?: unknown; origin?: unknown };
  if (o.type === 'model' && typeof o.row?.id === 'number') return o.row.id; // experiments node
  if (typeof o.modelId === 'number') return o.modelId; // queue job
  if ('row' in o && typeof o.id === 'number') return o.id; // drawer entry
  if (typeof o.origin === 'string' && typeof o.id === 'number') return o.id; // ModelRow
  return undefined;
}

/** The model ids of a tree command: the multi-selection when it includes the clicked item, else the item. */
export function modelIdsOf(arg: unknown, selection: unknown): number[] {
  const list = Array.isArray(selection) && selection.length > 0 ? selection : [arg];
  const ids = list.map(modelIdOf).filter((id): id is number => id !== undefined);
  const clicked = modelIdOf(arg);
  if (clicked !== undefined && !ids.includes(clicked)) return [clicked];
  return [...new Set(ids)];
}
