/** Histogram binning and brushed ranges for the accuracy / parameter filters (pure). */

export interface Bins {
  lo: number;
  hi: number;
  counts: number[];
  max: number;
}

export type Range = [number, number];

/**
 * `n` equal bins over [lo, hi]; values outside are clamped into the end bins, non-finite
 * and null values are skipped. hi ≤ lo is widened so every value lands in one bin.
 */
export function binValues(values: Iterable<number | null>, lo: number, hi: number, n: number): Bins {
  const bins = Math.max(1, Math.floor(n));
  if (!(hi > lo)) hi = lo + 1;
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[b] = (counts[b] as number) + 1;
  }
  return { lo, hi, counts, max: Math.max(0, ...counts) };
}

/** The value range brushed between pixels p0 and p1 on a histogram `width` pixels wide. */
export function rangeFromPixels(p0: number, p1: number, width: number, lo: number, hi: number): Range {
  const a = Math.min(p0, p1);
  const b = Math.max(p0, p1);
  const f = (p: number): number => lo + (Math.min(width, Math.max(0, p)) / Math.max(1, width)) * (hi - lo);
  return [f(a), f(b)];
}

/** True when `v` lies in `range` (inclusive) or there is no range; null values fail a range. */
export function inRange(v: number | null, range: Range | null): boolean {
  if (range === null) return true;
  if (v === null || !Number.isFinite(v)) return false;
  return v >= range[0] && v <= range[1];
}

/** The pixel span of a range on the histogram (for drawing the brush). */
export function rangeToPixels(range: Range, width: number, lo: number, hi: number): [number, number] {
  const f = (v: number): number => ((v - lo) / (hi - lo || 1)) * width;
  return [f(range[0]), f(range[1])];
}
