/**
 * Pure viewport maths for the map panes: fitting data extents into a canvas (the "base"
 * transform: data → world pixels at zoom 1, y up), the zoom/pan transform (world → screen),
 * zooming about a point, brush rectangles, axis ticks and off-screen indicator placement.
 */

export interface Extent {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** world = (x·sx + ox, y·sy + oy); sy is negative so that data y grows upwards. */
export interface Base {
  sx: number;
  sy: number;
  ox: number;
  oy: number;
}

/** screen = world·k + (tx, ty). */
export interface Zoom {
  k: number;
  tx: number;
  ty: number;
}

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const IDENTITY: Zoom = { k: 1, tx: 0, ty: 0 };
export const K_MIN = 0.5;
export const K_MAX = 400;

/** Bounding box of the points; an empty or degenerate extent is widened to ±0.5. */
export function extentOf(xs: ArrayLike<number>, ys: ArrayLike<number>): Extent {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 > x1) return { x0: -0.5, x1: 0.5, y0: -0.5, y1: 0.5 };
  if (x1 - x0 < 1e-12) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (y1 - y0 < 1e-12) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  return { x0, x1, y0, y1 };
}

/**
 * The base transform that fits `extent` into width×height minus `pad` pixels on each side.
 * `uniform` keeps the aspect ratio (projections); otherwise each axis fills (accuracy view).
 */
export function fitBase(extent: Extent, width: number, height: number, pad: number, uniform: boolean): Base {
  const w = Math.max(1, width - 2 * pad);
  const h = Math.max(1, height - 2 * pad);
  let sx = w / (extent.x1 - extent.x0);
  let sy = h / (extent.y1 - extent.y0);
  if (uniform) sx = sy = Math.min(sx, sy);
  const cx = (extent.x0 + extent.x1) / 2;
  const cy = (extent.y0 + extent.y1) / 2;
  return { sx, sy: -sy, ox: width / 2 - cx * sx, oy: height / 2 + cy * sy };
}

export function dataToWorld(base: Base, x: number, y: number): [number, number] {
  return [x * base.sx + base.ox, y * base.sy + base.oy];
}

export function worldToData(base: Base, wx: number, wy: number): [number, number] {
  return [(wx - base.ox) / base.sx, (wy - base.oy) / base.sy];
}

export function toScreen(z: Zoom, wx: number, wy: number): [number, number] {
  return [wx * z.k + z.tx, wy * z.k + z.ty];
}

export function fromScreen(z: Zoom, sx: number, sy: number): [number, number] {
  return [(sx - z.tx) / z.k, (sy - z.ty) / z.k];
}

/** Zoom by `factor` keeping the screen point (sx, sy) fixed; k is clamped. */
export function zoomAt(z: Zoom, sx: number, sy: number, factor: number, kMin = K_MIN, kMax = K_MAX): Zoom {
  const k = Math.min(kMax, Math.max(kMin, z.k * factor));
  const f = k / z.k;
  return { k, tx: sx - (sx - z.tx) * f, ty: sy - (sy - z.ty) * f };
}

export function panBy(z: Zoom, dx: number, dy: number): Zoom {
  return { k: z.k, tx: z.tx + dx, ty: z.ty + dy };
}

/** Centre the screen on world point (wx, wy) at the current zoom. */
export function centreOn(z: Zoom, wx: number, wy: number, width: number, height: number): Zoom {
  return { k: z.k, tx: width / 2 - wx * z.k, ty: height / 2 - wy * z.k };
}

/** The world rectangle visible on a width×height screen. */
export function visibleWorld(z: Zoom, width: number, height: number): Rect {
  const [x0, y0] = fromScreen(z, 0, 0);
  const [x1, y1] = fromScreen(z, width, height);
  return { x0, y0, x1, y1 };
}

/** The normalised rectangle spanned by two corners. */
export function rectFromPoints(ax: number, ay: number, bx: number, by: number): Rect {
  return { x0: Math.min(ax, bx), y0: Math.min(ay, by), x1: Math.max(ax, bx), y1: Math.max(ay, by) };
}

/** A screen rectangle in world coordinates. */
export function screenRectToWorld(z: Zoom, r: Rect): Rect {
  const [x0, y0] = fromScreen(z, r.x0, r.y0);
  const [x1, y1] = fromScreen(z, r.x1, r.y1);
  return rectFromPoints(x0, y0, x1, y1);
}

export function rectContains(r: Rect, x: number, y: number): boolean {
  return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;
}

/** Round tick values (1, 2, 5 × 10^n steps) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo || count < 1) return [];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)) + 0);
  return ticks;
}

/**
 * Ticks for a log10 axis, as log10 values: powers of ten (every `step`-th decade when many
 * are visible); when fewer than two powers are visible (zoomed in), the 2× and 5× marks too,
 * then every integer mantissa. Label them with :func:`logTickLabel`.
 */
export function logTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo || count < 1) return [];
  const inside = (v: number): boolean => v >= lo - 1e-9 && v <= hi + 1e-9;
  const step = Math.max(1, Math.ceil((hi - lo) / count));
  const powers: number[] = [];
  for (let e = Math.ceil(lo - 1e-9) + 0; e <= hi + 1e-9; e++) if (e % step === 0) powers.push(e);
  if (powers.length >= 2) return powers;
  for (const [mantissas, enough] of [[[1, 2, 5], 2], [[1, 2, 3, 4, 5, 6, 7, 8, 9], 1]] as const) {
    const out: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of mantissas) if (inside(e + Math.log10(m))) out.push(e + Math.log10(m));
    }
    if (out.length >= enough) return out;
  }
  return niceTicks(lo, hi, count); // deeper than one mantissa step: plain decimals
}

/** A log10 tick as the original labels it: 5 → "1e5", log10(2e5) → "2e5". */
export function logTickLabel(v: number): string {
  const e = Math.floor(v + 1e-9);
  const m = Math.round(10 ** (v - e) * 10) / 10;
  return `${m === 10 ? 1 : m}e${m === 10 ? e + 1 : e}`;
}

/**
 * Where to draw the off-screen indicator for a point at screen (x, y) outside a
 * width×height viewport: the point on the inset border in its direction from the centre,
 * and the arrow angle (radians, 0 = pointing right). Null when the point is visible.
 */
export function edgeIndicator(
  x: number,
  y: number,
  width: number,
  height: number,
  margin: number,
): { x: number; y: number; angle: number } | null {
  if (x >= 0 && x <= width && y >= 0 && y <= height) return null;
  const cx = width / 2;
  const cy = height / 2;
  const dx = x - cx;
  const dy = y - cy;
  const hw = Math.max(1, cx - margin);
  const hh = Math.max(1, cy - margin);
  const t = Math.min(dx === 0 ? Infinity : hw / Math.abs(dx), dy === 0 ? Infinity : hh / Math.abs(dy));
  return { x: cx + dx * t, y: cy + dy * t, angle: Math.atan2(dy, dx) };
}
