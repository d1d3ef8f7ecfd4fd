/**
 * The panel state kept with the host's getState/setState so that a panel survives a
 * reload (pure): parse (tolerant — anything malformed is dropped, never thrown) and
 * serialise. Field meanings are documented in webview/README.md.
 */
import type { ModelSortKey } from '../../protocol/models';
import type { ChangeType, Edit, View } from '../../protocol/remap';
import type { Range } from './histogram';
import type { Zoom } from './scales';

export type PanelName = 'map' | 'builder' | 'queue' | 'diff';
export type TabId = 'data' | 'inspector' | 'generate' | 'queue' | 'suggestions';
export type SortKey = ModelSortKey;
export type GenerateMode = 'ablate' | 'vary' | 'handcraft';
/** A map projection the panel may ask for (protocol ProjectionMethod). */
export type ProjectionMethod = 'umap' | 'mds';
/** The prediction map's distance (protocol PredictionDistance). */
export type PredictionDistance = 'disagreement' | 'per_class';

export interface PaneState {
  view: View;
  zoom: Zoom | null;
}

export interface BuilderState {
  modelId: number | null;
  mode: GenerateMode;
  edits: Edit[];
  ablate: number[];
  count: number;
  maxChanges: number;
  /** Variation (layer, change type) pairs the user switched off. */
  disabled: [number, ChangeType][];
}

export interface PanelState {
  v: 1;
  panel: PanelName;
  focusModel?: number;
  diff?: { a: number; b: number };
  drawer?: number[];
  panes?: PaneState[];
  selection?: number[];
  tab?: TabId;
  filters?: { acc: Range | null; params: Range | null };
  sort?: { key: SortKey; dir: 1 | -1 };
  selectedClass?: number | null;
  panMode?: boolean;
  showEdges?: boolean;
  builder?: BuilderState;
  /** The projection chosen on the map per view (absent: the workspace's setting). */
  projection?: Partial<Record<View, ProjectionMethod>>;
  /** The prediction map's distance (absent: disagreement). */
  predictionDistance?: PredictionDistance;
  /** Whether the inspector/tabs area under the maps is collapsed. */
  lowerCollapsed?: boolean;
}

const PANELS: readonly PanelName[] = ['map', 'builder', 'queue', 'diff'];
const VIEWS: readonly View[] = ['architecture', 'prediction', 'accuracy'];
const TABS: readonly TabId[] = ['data', 'inspector', 'generate', 'queue', 'suggestions'];
const SORTS: readonly SortKey[] = ['name', 'valAcc', 'params', 'id'];
const MODES: readonly GenerateMode[] = ['ablate', 'vary', 'handcraft'];
const CHANGES: readonly ChangeType[] = ['insert', 'remove', 'replace', 'reparameterise'];
const METHODS: readonly ProjectionMethod[] = ['umap', 'mds'];
const DISTANCES: readonly PredictionDistance[] = ['disagreement', 'per_class'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const ints = (v: unknown): number[] | undefined => (Array.isArray(v) ? v.filter(isInt) : undefined);
const oneOf = <T extends string>(v: unknown, options: readonly T[]): T | undefined =>
  typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : undefined;

function range(v: unknown): Range | null {
  return Array.isArray(v) && v.length === 2 && isNum(v[0]) && isNum(v[1]) && v[0] <= v[1] ? [v[0], v[1]] : null;
}

function zoom(v: unknown): Zoom | null {
  return isObj(v) && isNum(v.k) && v.k > 0 && isNum(v.tx) && isNum(v.ty) ? { k: v.k, tx: v.tx, ty: v.ty } : null;
}

function edit(v: unknown): Edit | null {
  if (!isObj(v)) return null;
  if (v.op === 'insert' && isInt(v.index) && isObj(v.layer) && typeof v.layer.type === 'string') {
    return { op: 'insert', index: v.index, layer: v.layer as unknown as Extract<Edit, { op: 'insert' }>['layer'] };
  }
  if (v.op === 'remove' && isInt(v.index)) return { op: 'remove', index: v.index };
  if (v.op === 'set' && isInt(v.index) && typeof v.field === 'string' && (isNum(v.value) || typeof v.value === 'string')) {
    return { op: 'set', index: v.index, field: v.field, value: v.value };
  }
  if (v.op === 'move' && isInt(v.from) && isInt(v.to)) return { op: 'move', from: v.from, to: v.to };
  return null;
}

function builder(v: unknown): BuilderState | undefined {
  if (!isObj(v)) return undefined;
  const clamp = (x: unknown, lo: number, hi: number, d: number): number => (isInt(x) ? Math.min(hi, Math.max(lo, x)) : d);
  return {
    modelId: isInt(v.modelId) ? v.modelId : null,
    mode: oneOf(v.mode, MODES) ?? 'ablate',
    edits: Array.isArray(v.edits) ? v.edits.map(edit).filter((e): e is Edit => e !== null) : [],
    ablate: ints(v.ablate) ?? [],
    count: clamp(v.count, 1, 20, 5),
    maxChanges: clamp(v.maxChanges, 1, 5, 3),
    disabled: Array.isArray(v.disabled)
      ? v.disabled.filter((p): p is [number, ChangeType] => Array.isArray(p) && isInt(p[0]) && oneOf(p[1], CHANGES) !== undefined)
      : [],
  };
}

/** A valid PanelState from whatever getState() returned (null when there is none). */
export function parseState(raw: unknown): PanelState | null {
  if (!isObj(raw) || raw.v !== 1) return null;
  const panel = oneOf(raw.panel, PANELS);
  if (!panel) return null;
  const s: PanelState = { v: 1, panel };
  if (isInt(raw.focusModel)) s.focusModel = raw.focusModel;
  if (isObj(raw.diff) && isInt(raw.diff.a) && isInt(raw.diff.b)) s.diff = { a: raw.diff.a, b: raw.diff.b };
  const drawer = ints(raw.drawer);
  if (drawer) s.drawer = drawer;
  if (Array.isArray(raw.panes)) {
    s.panes = raw.panes
      .filter(isObj)
      .map((p) => ({ view: oneOf(p.view, VIEWS), zoom: zoom(p.zoom) }))
      .filter((p): p is PaneState => p.view !== undefined)
      .slice(0, 2);
  }
  const selection = ints(raw.selection);
  if (selection) s.selection = selection;
  const tab = oneOf(raw.tab, TABS);
  if (tab) s.tab = tab;
  if (isObj(raw.filters)) s.filters = { acc: range(raw.filters.acc), params: range(raw.filters.params) };
  if (isObj(raw.sort) && oneOf(raw.sort.key, SORTS) && (raw.sort.dir === 1 || raw.sort.dir === -1)) {
    s.sort = { key: raw.sort.key as SortKey, dir: raw.sort.dir };
  }
  if (raw.selectedClass === null || isInt(raw.selectedClass)) s.selectedClass = raw.selectedClass;
  if (typeof raw.panMode === 'boolean') s.panMode = raw.panMode;
  if (typeof raw.showEdges === 'boolean') s.showEdges = raw.showEdges;
  const b = builder(raw.builder);
  if (b) s.builder = b;
  if (isObj(raw.projection)) {
    const projection: Partial<Record<View, ProjectionMethod>> = {};
    for (const view of VIEWS) {
      const m = oneOf(raw.projection[view], METHODS);
      if (m) projection[view] = m;
    }
    s.projection = projection;
  }
  if (typeof raw.lowerCollapsed === 'boolean') s.lowerCollapsed = raw.lowerCollapsed;
  const distance = oneOf(raw.predictionDistance, DISTANCES);
  if (distance) s.predictionDistance = distance;
  return s;
}

/** A JSON-safe copy of the state (what setState receives). */
export function serialiseState(s: PanelState): PanelState {
  return JSON.parse(JSON.stringify(s)) as PanelState;
}
