/**
 * Small canvas charts: per-epoch line charts (accuracy, loss), loss sparklines for the
 * queue, the confusion matrix (shaded cells, row-normalised) and histogram bars. All read
 * the theme palette and are devicePixelRatio aware.
 */
import { h } from './dom';
import type { Palette } from './theme';

/** A canvas of CSS size w×h with a DPR-scaled 2D context. */
export function sizedCanvas(w: number, hgt: number, cls: string, label: string): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const canvas = h('canvas', { class: cls, role: 'img', 'aria-label': label });
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${hgt}px`;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [canvas, ctx];
}

export interface Series {
  label: string;
  values: number[];
  colour: string;
  dashed?: boolean;
}

/** A line chart over epochs 1..n with a y range fitted to the data (or [lo, hi]). */
export function lineChart(p: Palette, series: Series[], w: number, hgt: number, title: string, range?: [number, number]): HTMLElement {
  const [canvas, ctx] = sizedCanvas(w, hgt, 'chart', title);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = range ? range[0] : Math.min(...all);
  let hi = range ? range[1] : Math.max(...all);
  if (!all.length) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const L = 34;
  const R = 6;
  const T = 6;
  const B = 16;
  const x = (i: number): number => L + (n <= 1 ? (w - L - R) / 2 : (i / (n - 1)) * (w - L - R));
  const y = (v: number): number => T + (1 - (v - lo) / (hi - lo)) * (hgt - T - B);
  ctx.font = `10px ${p.font}`;
  ctx.strokeStyle = p.grid;
  ctx.fillStyle = p.muted;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const v of [lo, (lo + hi) / 2, hi]) {
    ctx.moveTo(L, Math.round(y(v)) + 0.5);
    ctx.lineTo(w - R, Math.round(y(v)) + 0.5);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(v.toFixed(hi - lo < 0.1 ? 3 : 2), L - 3, y(v));
  }
  ctx.stroke();
  ctx.textBaseline = 'bottom';
  for (const t of epochLabels(n, L, w - R)) {
    ctx.textAlign = t.align;
    ctx.fillText(t.text, t.x, hgt);
  }
  for (const s of series) {
    ctx.beginPath();
    s.values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.values.length === 1) {
      ctx.fillStyle = s.colour;
      ctx.fillRect(x(0) - 2, y(s.values[0] as number) - 2, 4, 4);
    }
  }
  const legend = h('div', { class: 'chart-legend' },
    ...series.map((s) => {
      const key = h('span', { class: `legend-key${s.dashed ? ' dashed' : ''}` });
      key.style.borderColor = s.colour;
      return h('span', { class: 'legend-item' }, key, s.label);
    }));
  return h('figure', { class: 'chart-figure' }, h('figcaption', { text: title }), canvas, legend);
}

/**
 * The x-axis labels of an epoch chart whose plot spans [left, right]: the first label
 * starts at the left edge and the last ends at the right one, so neither is clipped
 * ("epocl" was a centred label cut by the canvas edge).
 */
export function epochLabels(n: number, left: number, right: number): { text: string; x: number; align: CanvasTextAlign }[] {
  if (n <= 1) return [{ text: 'epoch 1', x: (left + right) / 2, align: 'center' }];
  return [{ text: 'epoch 1', x: left, align: 'left' }, { text: `epoch ${n}`, x: right, align: 'right' }];
}

/** A loss sparkline (no axes); `total` epochs reserve the x range while training. */
export function sparkline(p: Palette, values: number[], w: number, hgt: number, total?: number): HTMLCanvasElement {
  const last = values.length ? values[values.length - 1] : undefined;
  const [canvas, ctx] = sizedCanvas(w, hgt, 'sparkline', values.length ? `loss ${values.map((v) => v.toFixed(3)).join(', ')}` : 'no loss yet');
  canvas.dataset.points = String(values.length);
  if (last !== undefined) canvas.dataset.last = last.toFixed(4);
  if (!values.length) return canvas;
  const n = Math.max(values.length, total ?? 0, 2);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  ctx.beginPath();
  values.forEach((v, i) => {
    const px = 1 + (i / (n - 1)) * (w - 2);
    const py = 1 + (1 - (v - lo) / span) * (hgt - 2);
    if (i) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
  });
  ctx.strokeStyle = p.fg;
  ctx.lineWidth = 1.25;
  ctx.stroke();
  return canvas;
}

/** Confusion matrix with cells shaded by row-normalised counts; labels on both axes. */
export function confusionMatrix(p: Palette, matrix: number[][], classes: string[], size: number, activeClass: number | null): HTMLElement {
  const n = matrix.length;
  const probe = document.createElement('canvas').getContext('2d');
  let widest = 0;
  if (probe) {
    probe.font = `bold 10px ${p.font}`;
    for (let i = 0; i < n; i++) widest = Math.max(widest, probe.measureText(short(classes[i] ?? String(i))).width);
  }
  const { label, cell, side } = confusionLayout(n, size, widest);
  const [canvas, ctx] = sizedCanvas(side, side, 'confusion', `confusion matrix of ${n} classes`);
  ctx.font = `10px ${p.font}`;
  for (let r = 0; r < n; r++) {
    const row = matrix[r] ?? [];
    const total = row.reduce((a, b) => a + b, 0) || 1;
    for (let c = 0; c < n; c++) {
      const f = (row[c] ?? 0) / total;
      ctx.fillStyle = r === c ? p.focus : p.fg;
      ctx.globalAlpha = 0.06 + 0.94 * f;
      ctx.fillRect(label + c * cell, label + r * cell, cell - 1, cell - 1);
    }
  }
  ctx.globalAlpha = 1;
  ctx.fillStyle = p.fg;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < n; r++) {
    ctx.font = `${r === activeClass ? 'bold ' : ''}10px ${p.font}`;
    ctx.fillText(short(classes[r] ?? String(r)), label - 3, label + r * cell + cell / 2);
  }
  for (let c = 0; c < n; c++) {
    ctx.save();
    ctx.translate(label + c * cell + cell / 2, label - 3);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    ctx.font = `${c === activeClass ? 'bold ' : ''}10px ${p.font}`;
    ctx.fillText(short(classes[c] ?? String(c)), 0, 0);
    ctx.restore();
  }
  canvas.title = 'rows: true class, columns: predicted class';
  const table = h('table', { class: 'sr-only' },
    h('tr', {}, h('th', { text: 'true \\ predicted' }), ...classes.map((c) => h('th', { text: c }))),
    ...matrix.map((row, r) => h('tr', {}, h('th', { text: classes[r] ?? String(r) }), ...row.map((v) => h('td', { text: String(v) })))));
  return h('figure', { class: 'chart-figure' }, h('figcaption', { text: 'Confusion matrix (rows: true class)' }), canvas, table);
}

/**
 * Sizes of a confusion matrix `size` px square: the label band fits the widest class name
 * (no empty band above the cells), the cells share the rest (at least 8 px).
 */
export function confusionLayout(n: number, size: number, widestLabel: number): { label: number; cell: number; side: number } {
  const label = Math.ceil(Math.min(64, Math.max(14, widestLabel)) + 5);
  const cell = Math.max(8, Math.floor((size - label) / Math.max(1, n)));
  return { label, cell, side: label + cell * n };
}

function short(s: string): string {
  return s.length > 9 ? `${s.slice(0, 8)}…` : s;
}
