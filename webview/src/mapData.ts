/**
 * Per-view point arrays for the map canvas (pure): data and world coordinates, radius by
 * log(parameters), colour bucket by accuracy (or per-class accuracy), hollow markers for
 * untrained / queued / training models, lineage edges as index pairs, and the spatial index.
 */
import type { MapResult, ModelRow } from '../../protocol/remap';
import type { Base, Extent } from './scales';
import { dataToWorld, extentOf } from './scales';
import { GridIndex } from './spatial';
import { bucketOf } from './theme';

export const R_MIN = 2;
export const R_MAX = 7;

/** Bucket codes above the ramp. */
export const HOLLOW = 255;
export const FAILED = 254;
export const UNKNOWN = 253;
export const DIMMED = 252;

export interface MapData {
  n: number;
  ids: Int32Array;
  dx: Float64Array;
  dy: Float64Array;
  wx: Float64Array;
  wy: Float64Array;
  radius: Float32Array;
  bucket: Uint8Array;
  /** Lineage edges as pairs of point indices. */
  edges: Int32Array;
  indexOf: Map<number, number>;
  extent: Extent;
  index: GridIndex;
  /** The colour scale's range (for the legend). */
  lo: number;
  hi: number;
}

/** Radius in CSS pixels for a parameter count, on a log scale between the set's bounds. */
export function radiusFor(params: number, logLo: number, logHi: number): number {
  const lp = Math.log10(Math.max(1, params));
  const f = logHi > logLo ? (lp - logLo) / (logHi - logLo) : 0.5;
  return R_MIN + (R_MAX - R_MIN) * Math.min(1, Math.max(0, f));
}

export function buildMapData(map: MapResult | undefined, byId: ReadonlyMap<number, ModelRow>): MapData {
  const pts = map?.points ?? [];
  const n = pts.length;
  const ids = new Int32Array(n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const radius = new Float32Array(n);
  const indexOf = new Map<number, number>();
  let logLo = Infinity;
  let logHi = -Infinity;
  for (const m of byId.values()) {
    const lp = Math.log10(Math.max(1, m.params));
    if (lp < logLo) logLo = lp;
    if (lp > logHi) logHi = lp;
  }
  pts.forEach((p, i) => {
    ids[i] = p.id;
    dx[i] = p.x;
    dy[i] = p.y;
    indexOf.set(p.id, i);
    const row = byId.get(p.id);
    radius[i] = row ? radiusFor(row.params, logLo, logHi) : R_MIN;
  });
  const edgeList: number[] = [];
  for (const e of map?.edges ?? []) {
    const a = indexOf.get(e.parent);
    const b = indexOf.get(e.child);
    if (a !== undefined && b !== undefined) edgeList.push(a, b);
  }
  return {
    n, ids, dx, dy, wx: new Float64Array(n), wy: new Float64Array(n), radius, bucket: new Uint8Array(n),
    edges: Int32Array.from(edgeList), indexOf, extent: extentOf(dx, dy), index: new GridIndex([], []), lo: 0, hi: 1,
  };
}

/** Recompute world coordinates for a new base transform and rebuild the spatial index. */
export function placeWorld(d: MapData, base: Base): void {
  for (let i = 0; i < d.n; i++) {
    const [x, y] = dataToWorld(base, d.dx[i] as number, d.dy[i] as number);
    d.wx[i] = x;
    d.wy[i] = y;
  }
  d.index = new GridIndex(d.wx, d.wy);
}

/**
 * Colour buckets: HOLLOW for models not trained yet (untrained, queued, training), FAILED
 * for failed/cancelled ones, DIMMED when outside the filters, UNKNOWN when the value is not
 * known (yet), else the ramp bucket of the value between the set's min and max.
 */
export function colourBuckets(
  d: MapData,
  byId: ReadonlyMap<number, ModelRow>,
  value: (m: ModelRow) => number | null,
  passes: (m: ModelRow) => boolean,
  rampSize: number,
): void {
  let lo = Infinity;
  let hi = -Infinity;
  const values = new Float64Array(d.n).fill(NaN);
  for (let i = 0; i < d.n; i++) {
    const m = byId.get(d.ids[i] as number);
    if (!m || m.state !== 'trained') continue;
    const v = value(m);
    if (v === null || !Number.isFinite(v)) continue;
    values[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  for (let i = 0; i < d.n; i++) {
    const m = byId.get(d.ids[i] as number);
    if (!m) d.bucket[i] = UNKNOWN;
    else if (!passes(m)) d.bucket[i] = DIMMED;
    else if (m.state === 'untrained' || m.state === 'queued' || m.state === 'training') d.bucket[i] = HOLLOW;
    else if (m.state === 'failed' || m.state === 'cancelled') d.bucket[i] = FAILED;
    else {
      const v = values[i] as number;
      d.bucket[i] = Number.isNaN(v) ? UNKNOWN : bucketOf(v, lo, hi, rampSize);
    }
  }
  d.lo = lo;
  d.hi = hi;
}
