/**
 * The map filters: small histograms of validation accuracy and log10(parameters) over all
 * models; drag across one to keep only that range (the others are dimmed on the maps and
 * ignored by hover and brushing); double-click or Escape clears it.
 */
import { button, frameScheduler, h } from './dom';
import { formatParams } from './format';
import type { Range } from './histogram';
import { binValues, rangeFromPixels, rangeToPixels } from './histogram';
import type { Store } from './store';
import type { Palette } from './theme';

const W = 170;
const H = 40;
const BINS = 24;

interface FilterSpec {
  key: 'acc' | 'params';
  label: string;
  value: (m: { valAcc: number | null; params: number }) => number | null;
  bounds: (values: number[]) => [number, number];
  fmt: (v: number) => string;
}

const SPECS: FilterSpec[] = [
  { key: 'acc', label: 'Val. accuracy', value: (m) => m.valAcc, bounds: () => [0, 1], fmt: (v) => v.toFixed(2) },
  {
    key: 'params', label: 'Parameters', value: (m) => Math.log10(Math.max(1, m.params)),
    bounds: (v) => (v.length ? [Math.floor(Math.min(...v) * 2) / 2, Math.ceil(Math.max(...v) * 2) / 2 + 0.001] : [2, 7]),
    fmt: (v) => formatParams(10 ** v),
  },
];

export function filterBar(store: Store, palette: () => Palette): HTMLElement {
  const el = h('div', { class: 'filters', role: 'group', 'aria-label': 'Filters' });
  for (const spec of SPECS) el.appendChild(histogram(store, spec, palette));
  return el;
}

function histogram(store: Store, spec: FilterSpec, palette: () => Palette): HTMLElement {
  const canvas = h('canvas', { class: 'histogram', tabindex: 0, role: 'slider', 'aria-label': `${spec.label} filter: drag to select a range, Escape clears`, 'data-filter': spec.key });
  const text = h('span', { class: 'filter-range' });
  const clear = button('×', () => set(null), { class: 'icon', title: `Clear the ${spec.label.toLowerCase()} filter`, 'aria-label': `Clear ${spec.label} filter` });
  let lo = 0;
  let hi = 1;
  let counts: number[] = [];
  let dragFrom: number | null = null;
  let preview: Range | null = null;
  const set = (r: Range | null): void => store.setFilters({ ...store.filters, [spec.key]: r });
  const draw = frameScheduler(() => {
    const p = palette();
    const dpr = window.devicePixelRatio || 1;
    canvas.width = W * dpr;
    canvas.height = H * dpr;
    canvas.style.width = `${W}px`;
    canvas.style.height = `${H}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const range = preview ?? store.filters[spec.key];
    const max = Math.max(1, ...counts);
    const bw = W / counts.length;
    counts.forEach((c, i) => {
      const mid = lo + ((i + 0.5) / counts.length) * (hi - lo);
      const inside = !range || (mid >= range[0] && mid <= range[1]);
      ctx.fillStyle = inside ? p.fg : p.grid;
      const bh = c ? Math.max(1, (c / max) * (H - 4)) : 0;
      ctx.fillRect(i * bw + 0.5, H - bh, bw - 1, bh);
    });
    if (range) {
      const [a, b] = rangeToPixels(range, W, lo, hi);
      ctx.fillStyle = p.brushFill;
      ctx.fillRect(a, 0, b - a, H);
      ctx.strokeStyle = p.focus;
      ctx.strokeRect(a + 0.5, 0.5, Math.max(1, b - a - 1), H - 1);
    }
    const r = store.filters[spec.key];
    text.textContent = r ? `${spec.fmt(r[0])} – ${spec.fmt(r[1])}` : 'all';
    clear.hidden = !r;
    canvas.setAttribute('aria-valuetext', text.textContent);
  });
  const rebin = (): void => {
    const values = store.models.map(spec.value).filter((v): v is number => v !== null && Number.isFinite(v));
    [lo, hi] = spec.bounds(values);
    counts = binValues(values, lo, hi, BINS).counts;
    draw();
  };
  const x = (e: PointerEvent): number => e.clientX - canvas.getBoundingClientRect().left;
  canvas.addEventListener('pointerdown', (e) => {
    dragFrom = x(e);
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (dragFrom === null) return;
    preview = rangeFromPixels(dragFrom, x(e), W, lo, hi);
    draw();
  });
  canvas.addEventListener('pointerup', (e) => {
    if (dragFrom === null) return;
    const moved = Math.abs(x(e) - dragFrom) > 3;
    if (moved) set(rangeFromPixels(dragFrom, x(e), W, lo, hi));
    dragFrom = null;
    preview = null;
    draw();
  });
  canvas.addEventListener('dblclick', () => set(null));
  canvas.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || e.key === 'Delete' || e.key === 'Backspace') set(null);
  });
  store.on('models', rebin);
  store.on('filters', draw);
  rebin();
  return h('div', { class: 'filter' }, h('span', { class: 'filter-label', text: spec.label }), canvas, text, clear);
}
