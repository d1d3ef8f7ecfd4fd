/**
 * The architecture glyph ("chips"): one rectangle per layer, left to right; colour = layer
 * category (CSS classes chip-conv, chip-dense, … mapped to theme-aware variables in
 * remap.css); height = output tensor size on a log scale; activation chips carry their
 * function's curve; dropout chips have a dotted edge; at larger sizes kernel size, filters,
 * units and rates are printed on the chip; every chip has a tooltip. `glyphLayout` is pure
 * (unit-tested); `renderGlyphSvg` turns a layout into a small SVG element.
 */
import type { ActivationFunction, Layer, LayerShape, ModelRow } from '../../protocol/remap';
import { formatParams, formatShape } from './format';
import type { Category } from './layers';
import { categoryOf, describeLayer, inferShapes, parseLayers, tensorSize } from './layers';

export interface GlyphInput {
  layer: Layer | null;
  /** Elements of the layer's output tensor, null when unknown. */
  outSize: number | null;
  output?: readonly number[] | null;
  params?: number | null;
  /** Marks drawn by the builder and the diff (e.g. 'error', 'changed', 'inserted', 'removed'). */
  marks?: readonly string[];
  title?: string;
}

export interface GlyphOptions {
  height: number;
  chipWidth: number;
  gap: number;
  /** Fraction of the height a 1-element tensor gets (the smallest chip). */
  minFrac?: number;
  /** The tensor size that fills the whole height (larger ones are clamped). */
  refSize?: number;
  /** Print hyper-parameters on the chips (needs chipWidth ≥ 16 and height ≥ 28). */
  detail?: boolean;
}

export interface Chip {
  index: number;
  x: number;
  y: number;
  w: number;
  h: number;
  category: Category;
  dotted: boolean;
  curve: ActivationFunction | null;
  text: string[];
  title: string;
  marks: readonly string[];
}

export interface GlyphLayout {
  width: number;
  height: number;
  chips: Chip[];
}

export const DEFAULT_REF_SIZE = 2 ** 17;

/** Chip height for a tensor of `size` elements: log-compressed, clamped to [minFrac·H, H]. */
export function chipHeight(size: number | null, height: number, minFrac = 0.3, refSize = DEFAULT_REF_SIZE): number {
  if (size === null || !(size > 0)) return height * minFrac;
  const f = Math.min(1, Math.max(0, Math.log(Math.max(1, size)) / Math.log(refSize)));
  return height * (minFrac + (1 - minFrac) * f);
}

function rateText(r: number): string {
  return r.toFixed(3).replace(/0+$/, '').replace(/^0/, '');
}

/** The hyper-parameters printed on a chip at large sizes. */
export function chipText(layer: Layer | null): string[] {
  if (!layer) return ['?'];
  switch (layer.type) {
    case 'conv2d': return [`${layer.kernelSize}×${layer.kernelSize}`, String(layer.filters)];
    case 'dense': return [String(layer.units)];
    case 'dropout': return [rateText(layer.rate)];
    case 'maxpool': return [`max${layer.size}`];
    case 'avgpool': return [`avg${layer.size}`];
    case 'batchnorm': return ['BN'];
    case 'globalavgpool': return ['GAP'];
    case 'flatten': return ['flat'];
    case 'activation': return [];
  }
}

export function glyphLayout(inputs: readonly GlyphInput[], opts: GlyphOptions): GlyphLayout {
  const { height, chipWidth, gap } = opts;
  const detail = (opts.detail ?? false) && chipWidth >= 16 && height >= 28;
  const chips: Chip[] = inputs.map((input, index) => {
    const h = chipHeight(input.outSize, height, opts.minFrac, opts.refSize);
    const layer = input.layer;
    const type = layer?.type;
    return {
      index,
      x: index * (chipWidth + gap),
      y: (height - h) / 2,
      w: chipWidth,
      h,
      category: categoryOf(type),
      dotted: type === 'dropout',
      curve: layer && layer.type === 'activation' ? layer.function : null,
      text: detail ? chipText(layer) : [],
      title: input.title ?? chipTitle(index, input),
      marks: input.marks ?? [],
    };
  });
  const width = inputs.length ? inputs.length * chipWidth + (inputs.length - 1) * gap : 0;
  return { width, height, chips };
}

export function chipTitle(index: number, input: GlyphInput): string {
  const name = input.layer ? describeLayer(input.layer) : 'unknown layer';
  const parts = [`${index}: ${name}`];
  if (input.output) parts.push(`output ${formatShape(input.output)}`);
  if (input.params !== null && input.params !== undefined) parts.push(`${formatParams(input.params)} params`);
  return parts.join(' · ');
}

/** The activation function's value, for drawing its curve. */
export function activationValue(fn: ActivationFunction, x: number): number {
  switch (fn) {
    case 'relu': return Math.max(0, x);
    case 'leaky_relu': return x > 0 ? x : 0.1 * x;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'gelu': return 0.5 * x * (1 + Math.tanh(0.7978845608 * (x + 0.044715 * x ** 3)));
  }
}

/** SVG path data of the function's curve over x ∈ [−3, 3], fitted into the box. */
export function activationPath(fn: ActivationFunction, x: number, y: number, w: number, h: number, samples = 13): string {
  const pts: [number, number][] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samples; i++) {
    const t = -3 + (6 * i) / (samples - 1);
    const v = activationValue(fn, t);
    pts.push([t, v]);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  return pts
    .map(([t, v], i) => {
      const px = x + ((t + 3) / 6) * w;
      const py = y + h - ((v - lo) / span) * h;
      return `${i ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
    })
    .join('');
}

/** Glyph inputs for a model row: its layers parsed from `row.layers`, shapes inferred. */
export function glyphInputsFromRow(row: Pick<ModelRow, 'layers'>, inputShape: readonly number[] | null): GlyphInput[] {
  const parsed = parseLayers(row.layers);
  const known = parsed.every((l) => l !== null) && inputShape ? inferShapes(inputShape, parsed as Layer[]) : null;
  return parsed.map((layer, i) => {
    const info = known?.layers[i];
    return { layer, outSize: info ? tensorSize(info.output) : null, output: info?.output ?? null, params: info?.params ?? null };
  });
}

/** Glyph inputs from per-layer shapes (ModelDetails.layers or Validation.layers) and the spec. */
export function glyphInputsFromShapes(layers: readonly Layer[], shapes: readonly LayerShape[]): GlyphInput[] {
  return layers.map((layer, i) => {
    const s = shapes[i];
    return { layer, outSize: s ? tensorSize(s.output) : null, output: s?.output ?? null, params: s?.params ?? null };
  });
}

const SVG = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = doc.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Render a layout as an SVG element (class "glyph"); each chip is a <g class="chip chip-…">. */
export function renderGlyphSvg(doc: Document, layout: GlyphLayout, label?: string): SVGSVGElement {
  const w = Math.max(1, layout.width);
  const svg = svgEl(doc, 'svg', { class: 'glyph', width: w, height: layout.height, viewBox: `0 0 ${w} ${layout.height}` });
  svg.setAttribute('role', 'img');
  if (label) svg.setAttribute('aria-label', label);
  for (const c of layout.chips) {
    const cls = ['chip', `chip-${c.category}`, ...(c.dotted ? ['chip-dotted'] : []), ...c.marks.map((m) => `chip-${m}`)];
    const g = svgEl(doc, 'g', { class: cls.join(' '), 'data-index': c.index });
    g.appendChild(svgEl(doc, 'rect', { x: c.x + 0.5, y: c.y + 0.5, width: Math.max(1, c.w - 1), height: Math.max(1, c.h - 1), rx: 1.5 }));
    if (c.curve) {
      const inset = Math.min(c.w, c.h) * 0.18;
      g.appendChild(svgEl(doc, 'path', { class: 'chip-curve', d: activationPath(c.curve, c.x + inset, c.y + inset, c.w - 2 * inset, c.h - 2 * inset) }));
    }
    const lineH = 10;
    c.text.forEach((line, i) => {
      const ty = c.y + c.h / 2 + (i - (c.text.length - 1) / 2) * lineH + 3;
      const t = svgEl(doc, 'text', { class: 'chip-text', x: c.x + c.w / 2, y: ty, 'text-anchor': 'middle' });
      t.textContent = line;
      g.appendChild(t);
    });
    const title = svgEl(doc, 'title', {});
    title.textContent = c.title;
    g.appendChild(title);
    svg.appendChild(g);
  }
  return svg;
}

/** Compact glyph of a model row (drawer rows, tooltips, tables). */
export function rowGlyph(doc: Document, row: ModelRow, inputShape: readonly number[] | null, size: 'small' | 'medium' = 'small'): SVGSVGElement {
  const opts: GlyphOptions = size === 'small' ? { height: 22, chipWidth: 5, gap: 1 } : { height: 40, chipWidth: 10, gap: 2 };
  return renderGlyphSvg(doc, glyphLayout(glyphInputsFromRow(row, inputShape), opts), row.layers);
}

/** The glyph key (as beside the original's drawer): one chip per colour with its letter. */
export const LEGEND: readonly { category: Category; letter: string; label: string }[] = [
  { category: 'conv', letter: 'C', label: 'Conv2D' },
  { category: 'pooling', letter: 'P', label: 'Max/avg pooling' },
  { category: 'dense', letter: 'D', label: 'Dense' },
  { category: 'activation', letter: 'A', label: 'Activation (curve = function)' },
  { category: 'dropout', letter: 'O', label: 'Dropout (dotted)' },
  { category: 'batchnorm', letter: 'B', label: 'BatchNorm' },
  { category: 'other', letter: 'G', label: 'Global pooling, flatten' },
];

/** The legend element: chips drawn with the same classes (theme colours) as every glyph. */
export function glyphLegend(doc: Document): HTMLElement {
  const el = doc.createElement('div');
  el.className = 'glyph-legend';
  el.setAttribute('role', 'list');
  el.setAttribute('aria-label', 'Layer colours (chip height = output size)');
  for (const { category, letter, label } of LEGEND) {
    const item = doc.createElement('span');
    item.className = 'glyph-legend-item';
    item.setAttribute('role', 'listitem');
    item.dataset.category = category;
    item.title = label;
    const svg = svgEl(doc, 'svg', { class: 'glyph', width: 14, height: 16, viewBox: '0 0 14 16', 'aria-hidden': 'true' });
    const g = svgEl(doc, 'g', { class: `chip chip-${category}${category === 'dropout' ? ' chip-dotted' : ''}` });
    g.appendChild(svgEl(doc, 'rect', { x: 0.5, y: 0.5, width: 13, height: 15, rx: 1.5 }));
    const t = svgEl(doc, 'text', { class: 'chip-text', x: 7, y: 11.5, 'text-anchor': 'middle' });
    t.textContent = letter;
    g.appendChild(t);
    svg.appendChild(g);
    const text = doc.createElement('span');
    text.textContent = label.replace(/ \(.*\)$/, '');
    item.append(svg, text);
    el.appendChild(item);
  }
  return el;
}

