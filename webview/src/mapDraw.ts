/**
 * Drawing of one map pane. The bulk — background, axis grid, lineage edges and every point
 * — is rasterised into the pane's ImageData (raster.ts: anti-aliased circle sprites per
 * colour and radius, alpha-blended) and put on the canvas in one call; the few overlays —
 * the focused model's edges, rings for drawer / selection / inspected / hovered models,
 * off-screen indicators, the brush rectangle and axis labels — use the Canvas 2D API.
 * Only points inside the viewport are drawn.
 */
import type { MapData } from './mapData';
import { DIMMED, FAILED, HOLLOW, UNKNOWN } from './mapData';
import type { Base, Rect, Zoom } from './scales';
import { edgeIndicator, logTickLabel, logTicks, niceTicks, worldToData } from './scales';
import type { RGBA, Sprite } from './raster';
import { Raster, discSprite } from './raster';
import type { Palette } from './theme';
import { parseColor } from './theme';

export interface Indicator {
  index: number;
  x: number;
  y: number;
}

export interface DrawState {
  width: number;
  height: number;
  zoom: Zoom;
  rScale: number;
  palette: Palette;
  showEdges: boolean;
  hovered: number;
  inspected: number;
  selection: readonly number[];
  drawer: readonly number[];
  brush: Rect | null;
  axes: { base: Base; x: string; y: string } | null;
  dpr: number;
  sprites: SpriteCache;
}

function rgba(css: string): RGBA {
  return parseColor(css) ?? [128, 128, 128, 1];
}

/**
 * Circle sprites per colour code (ramp bucket, DIMMED, UNKNOWN, HOLLOW, FAILED) and radius
 * (quantised to ¼ px), rendered once at the device pixel ratio and reused every frame.
 */
export class SpriteCache {
  private readonly cache = new Map<number, Sprite>();
  constructor(private readonly palette: Palette, readonly dpr: number) {}

  get(code: number, radius: number): Sprite {
    const q = Math.max(2, Math.round(radius * 4));
    const key = code * 4096 + q;
    let sprite = this.cache.get(key);
    if (!sprite) this.cache.set(key, (sprite = this.make(code, q / 4)));
    return sprite;
  }

  private make(code: number, r: number): Sprite {
    const p = this.palette;
    const rd = r * this.dpr;
    if (code === HOLLOW || code === FAILED) {
      const c = rgba(code === FAILED ? p.error : p.fg);
      return discSprite(rd, c, { width: 1.25 * this.dpr, dashed: code === FAILED });
    }
    const c = rgba(code === DIMMED ? p.grid : code === UNKNOWN ? p.muted : (p.ramp[code] ?? p.fg));
    return discSprite(rd, code === UNKNOWN ? [c[0], c[1], c[2], 0.5] : c);
  }
}

const TAU = Math.PI * 2;
// Screen positions, reused across frames (no garbage per frame).
let screenX = new Float32Array(0);
let screenY = new Float32Array(0);

/**
 * Draw a pane. With `reuseBulk` the ImageData still holds this view's points (only
 * overlays changed, e.g. on hover): it is put back as it is, skipping the rasterisation.
 */
export function drawMap(ctx: CanvasRenderingContext2D, image: ImageData, d: MapData, s: DrawState, reuseBulk = false): Indicator[] {
  const { width, height, zoom, palette: p, dpr } = s;
  if (screenX.length < d.n) {
    screenX = new Float32Array(d.n);
    screenY = new Float32Array(d.n);
  }
  const sx = screenX;
  const sy = screenY;
  for (let i = 0; i < d.n; i++) {
    sx[i] = (d.wx[i] as number) * zoom.k + zoom.tx;
    sy[i] = (d.wy[i] as number) * zoom.k + zoom.ty;
  }
  const margin = (7 * s.rScale) + 2;
  const visible = (i: number): boolean => {
    const x = sx[i] as number;
    const y = sy[i] as number;
    return x > -margin && x < width + margin && y > -margin && y < height + margin;
  };
  if (!reuseBulk) drawBulk(image, d, s, sx, sy, visible);
  ctx.putImageData(image, 0, 0);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (s.axes) drawAxisLabels(ctx, s);

  // Edges of the focused model (hovered or inspected) drawn stronger, with arrow heads.
  const focus = s.hovered >= 0 ? s.hovered : s.inspected;
  if (focus >= 0 && d.edges.length) {
    ctx.beginPath();
    for (let e = 0; e < d.edges.length; e += 2) {
      const a = d.edges[e] as number;
      const b = d.edges[e + 1] as number;
      if (a !== focus && b !== focus) continue;
      arrow(ctx, sx[a] as number, sy[a] as number, sx[b] as number, sy[b] as number, (d.radius[b] as number) * s.rScale + 2);
    }
    ctx.strokeStyle = p.fg;
    ctx.lineWidth = 1.25;
    ctx.stroke();
  }

  const path = (list: readonly number[], extra = 0): void => {
    ctx.beginPath();
    for (const i of list) {
      const r = (d.radius[i] as number) * s.rScale + extra;
      ctx.moveTo((sx[i] as number) + r, sy[i] as number);
      ctx.arc(sx[i] as number, sy[i] as number, r, 0, TAU);
    }
  };

  // Rings: drawer, selection, inspected, hovered.
  const rings = (list: readonly number[], colour: string, extra: number, lw: number): void => {
    const shown = list.filter((i) => i >= 0 && visible(i));
    if (!shown.length) return;
    path(shown, extra);
    ctx.strokeStyle = colour;
    ctx.lineWidth = lw;
    ctx.stroke();
  };
  rings(s.drawer, p.drawer, 1.5, 1.5);
  rings(s.selection, p.selection, 3, 2);
  rings([s.inspected], p.inspected, 4.5, 2.5);
  rings([s.hovered], p.fg, 3, 2);

  // Off-screen indicators for the models the user cares about.
  const indicators: Indicator[] = [];
  const seen = new Set<number>();
  const mark = (list: readonly number[], colour: string): void => {
    ctx.beginPath();
    let any = false;
    for (const i of list) {
      if (i < 0 || seen.has(i) || indicators.length > 300) continue;
      const at = edgeIndicator(sx[i] as number, sy[i] as number, width, height, 9);
      if (!at) continue;
      seen.add(i);
      indicators.push({ index: i, x: at.x, y: at.y });
      triangle(ctx, at.x, at.y, at.angle, 7);
      any = true;
    }
    if (!any) return;
    ctx.fillStyle = colour;
    ctx.fill();
  };
  mark([s.inspected], p.inspected);
  mark(s.selection, p.selection);
  mark(s.drawer, p.drawer);

  if (s.brush) {
    const r = s.brush;
    ctx.fillStyle = p.brushFill;
    ctx.fillRect(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = p.focus;
    ctx.lineWidth = 1;
    ctx.strokeRect(r.x0 + 0.5, r.y0 + 0.5, r.x1 - r.x0, r.y1 - r.y0);
    ctx.setLineDash([]);
  }
  return indicators;
}

/** Background, axis grid, lineage edges and every visible point, into the pixel buffer. */
function drawBulk(image: ImageData, d: MapData, s: DrawState, sx: Float32Array, sy: Float32Array, visible: (i: number) => boolean): void {
  const { palette: p, dpr } = s;
  const raster = new Raster(image.width, image.height, image.data);
  raster.clear(rgba(p.bg));
  if (s.axes) drawGrid(raster, s);
  if (s.showEdges && d.edges.length) {
    const c = rgba(p.edge);
    for (let e = 0; e < d.edges.length; e += 2) {
      const a = d.edges[e] as number;
      const b = d.edges[e + 1] as number;
      if (!visible(a) && !visible(b)) continue;
      raster.line((sx[a] as number) * dpr, (sy[a] as number) * dpr, (sx[b] as number) * dpr, (sy[b] as number) * dpr, c, 0.8);
    }
  }
  const stamp = (i: number): void => {
    raster.stamp(s.sprites.get(d.bucket[i] as number, (d.radius[i] as number) * s.rScale), Math.round((sx[i] as number) * dpr), Math.round((sy[i] as number) * dpr));
  };
  for (let i = 0; i < d.n; i++) if (d.bucket[i] === DIMMED && visible(i)) stamp(i);
  for (let i = 0; i < d.n; i++) if (d.bucket[i] !== DIMMED && visible(i)) stamp(i);
}

function triangle(ctx: CanvasRenderingContext2D, x: number, y: number, angle: number, size: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  ctx.moveTo(x + c * size, y + s * size);
  ctx.lineTo(x - c * size * 0.6 - s * size * 0.6, y - s * size * 0.6 + c * size * 0.6);
  ctx.lineTo(x - c * size * 0.6 + s * size * 0.6, y - s * size * 0.6 - c * size * 0.6);
  ctx.closePath();
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, inset: number): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (len < inset + 2) return;
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const ex = x1 - ux * inset;
  const ey = y1 - uy * inset;
  ctx.moveTo(x0, y0);
  ctx.lineTo(ex, ey);
  ctx.moveTo(ex - ux * 6 - uy * 3, ey - uy * 6 + ux * 3);
  ctx.lineTo(ex, ey);
  ctx.lineTo(ex - ux * 6 + uy * 3, ey - uy * 6 - ux * 3);
}

interface Ticks {
  xs: { v: number; at: number }[];
  ys: { v: number; at: number }[];
}

/** Tick values of the accuracy view's axes and their screen positions (CSS px). */
function ticks(s: DrawState): Ticks | null {
  const { width, height, zoom } = s;
  const axes = s.axes;
  if (!axes) return null;
  const toData = (sx: number, sy: number): [number, number] => worldToData(axes.base, (sx - zoom.tx) / zoom.k, (sy - zoom.ty) / zoom.k);
  const [x0, y0] = toData(0, height);
  const [x1, y1] = toData(width, 0);
  return {
    xs: niceTicks(x0, x1, Math.max(2, Math.floor(width / 80))).map((v) => ({ v, at: (v * axes.base.sx + axes.base.ox) * zoom.k + zoom.tx })),
    ys: logTicks(y0, y1, Math.max(2, Math.floor(height / 50))).map((v) => ({ v, at: (v * axes.base.sy + axes.base.oy) * zoom.k + zoom.ty })),
  };
}

function drawGrid(raster: Raster, s: DrawState): void {
  const t = ticks(s);
  if (!t) return;
  const c = rgba(s.palette.grid);
  for (const { at } of t.xs) raster.vline(Math.round(at * s.dpr), c, 1);
  for (const { at } of t.ys) raster.hline(Math.round(at * s.dpr), c, 1);
}

function drawAxisLabels(ctx: CanvasRenderingContext2D, s: DrawState): void {
  const t = ticks(s);
  const axes = s.axes;
  if (!t || !axes) return;
  const { width, height, palette: p } = s;
  ctx.font = `10px ${p.font}`;
  ctx.fillStyle = p.muted;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  for (const { v, at } of t.xs) ctx.fillText(v.toFixed(2).replace(/0$/, ''), at, height - 2);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const { v, at } of t.ys) ctx.fillText(logTickLabel(v), 2, at);
  ctx.fillStyle = p.fg;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`${axes.x} →`, width - 4, height - 14);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`↑ ${axes.y.replace(/^log10 (.+)$/, '$1 (log scale)')}`, 34, 3);
}
