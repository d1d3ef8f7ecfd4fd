/**
 * Layer helpers (pure): the category that colours a chip, one-line descriptions identical
 * to the server's `describe()`, parsing those descriptions back (a ModelRow carries only
 * them), shape inference mirroring remap/arch/shapes.py (so glyphs of rows need no extra
 * request), and the editable hyper-parameters with their allowed values.
 */
import type { ActivationFunction, Layer, LayerType, Padding } from '../../protocol/remap';

export type Category = 'conv' | 'dense' | 'activation' | 'dropout' | 'pooling' | 'batchnorm' | 'other';

export const CATEGORIES: readonly Category[] = [
  'conv', 'dense', 'activation', 'dropout', 'pooling', 'batchnorm', 'other',
];

export function categoryOf(type: LayerType | string | undefined): Category {
  switch (type) {
    case 'conv2d': return 'conv';
    case 'dense': return 'dense';
    case 'activation': return 'activation';
    case 'dropout': return 'dropout';
    case 'maxpool':
    case 'avgpool': return 'pooling';
    case 'batchnorm': return 'batchnorm';
    default: return 'other';
  }
}

/** One letter for a layer type, as on the original's legend (C, P, D, A, …). */
export function letterOf(type: LayerType): string {
  return ({ conv2d: 'C', maxpool: 'M', avgpool: 'P', dense: 'D', activation: 'A', dropout: 'O',
    batchnorm: 'B', globalavgpool: 'G', flatten: 'F' } as Record<LayerType, string>)[type];
}

function fmtRate(r: number): string {
  return String(Number(r.toPrecision(6)));
}

/** The server's `Layer.describe()`: "Conv2D 3×3/16", "MaxPool 2", "Dropout 0.25", … */
export function describeLayer(layer: Layer): string {
  switch (layer.type) {
    case 'conv2d': {
      let extra = layer.stride === 1 ? '' : ` stride ${layer.stride}`;
      extra += layer.padding === 'valid' ? '' : ` ${layer.padding}`;
      return `Conv2D ${layer.kernelSize}×${layer.kernelSize}/${layer.filters}${extra}`;
    }
    case 'maxpool': return `MaxPool ${layer.size}${layer.stride === 2 ? '' : ` stride ${layer.stride}`}`;
    case 'avgpool': return `AvgPool ${layer.size}${layer.stride === 2 ? '' : ` stride ${layer.stride}`}`;
    case 'dense': return `Dense ${layer.units}`;
    case 'activation': return `Activation ${layer.function}`;
    case 'dropout': return `Dropout ${fmtRate(layer.rate)}`;
    case 'batchnorm': return 'BatchNorm';
    case 'globalavgpool': return 'GlobalAvgPool';
    case 'flatten': return 'Flatten';
  }
}

const ACTIVATIONS: readonly ActivationFunction[] = ['relu', 'tanh', 'sigmoid', 'gelu', 'leaky_relu'];

/** Parse one `describe()` string; null when it is not recognised. */
export function parseLayer(text: string): Layer | null {
  const t = text.trim();
  let m = /^Conv2D (\d+)×\1\/(\d+)(?: stride (\d+))?(?: (same|valid))?$/.exec(t);
  if (m) {
    return { type: 'conv2d', kernelSize: Number(m[1]), filters: Number(m[2]),
      stride: m[3] ? Number(m[3]) : 1, padding: (m[4] as Padding | undefined) ?? 'valid' };
  }
  m = /^(MaxPool|AvgPool) (\d+)(?: stride (\d+))?$/.exec(t);
  if (m) {
    return { type: m[1] === 'MaxPool' ? 'maxpool' : 'avgpool', size: Number(m[2]),
      stride: m[3] ? Number(m[3]) : 2, padding: 'valid' };
  }
  m = /^Dense (\d+)$/.exec(t);
  if (m) return { type: 'dense', units: Number(m[1]) };
  m = /^Activation (\w+)$/.exec(t);
  if (m && (ACTIVATIONS as readonly string[]).includes(m[1] as string)) {
    return { type: 'activation', function: m[1] as ActivationFunction };
  }
  m = /^Dropout ([\d.eE+-]+)$/.exec(t);
  if (m && Number.isFinite(Number(m[1]))) return { type: 'dropout', rate: Number(m[1]) };
  if (t === 'BatchNorm') return { type: 'batchnorm' };
  if (t === 'GlobalAvgPool') return { type: 'globalavgpool' };
  if (t === 'Flatten') return { type: 'flatten' };
  return null;
}

/** Parse a ModelRow's `layers` ("Conv2D 3×3/16 → MaxPool 2 → Dense 10"). */
export function parseLayers(text: string): (Layer | null)[] {
  if (!text.trim()) return [];
  return text.split('→').map(parseLayer);
}

export interface InferredLayer {
  index: number;
  output: number[];
  params: number;
}

export interface Inference {
  layers: InferredLayer[];
  params: number;
  error: { index: number; message: string } | null;
}

function spatial(size: number, k: number, stride: number, pad: number): number {
  return size + 2 * pad < k ? 0 : Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** Output shapes and parameter counts (the server's semantics), up to the first error. */
export function inferShapes(inputShape: readonly number[], layers: readonly Layer[]): Inference {
  let shape = [...inputShape];
  const out: InferredLayer[] = [];
  let params = 0;
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const asImage = (s: number[]): number[] | null => {
    if (s.length === 3) return s;
    const side = Math.round(Math.sqrt(size(s)));
    return side * side === size(s) ? [1, side, side] : null;
  };
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index] as Layer;
    let next: number[];
    let p = 0;
    if (layer.type === 'conv2d' || layer.type === 'maxpool' || layer.type === 'avgpool') {
      const img = asImage(shape);
      if (!img) return { layers: out, params, error: { index, message: `cannot reshape ${size(shape)} features into a square image` } };
      const k = layer.type === 'conv2d' ? layer.kernelSize : layer.size;
      const pad = layer.padding === 'same' ? Math.floor(k / 2) : 0;
      const [c, h, w] = img as [number, number, number];
      const ho = spatial(h, k, layer.stride, pad);
      const wo = spatial(w, k, layer.stride, pad);
      if (ho < 1 || wo < 1) return { layers: out, params, error: { index, message: `${layer.type === 'conv2d' ? 'kernel' : 'pool size'} ${k} is larger than the ${h}×${w} input` } };
      if (layer.type === 'conv2d') {
        p = k * k * c * layer.filters + layer.filters;
        next = [layer.filters, ho, wo];
      } else next = [c, ho, wo];
    } else if (layer.type === 'dense') {
      p = size(shape) * layer.units + layer.units;
      next = [layer.units];
    } else if (layer.type === 'batchnorm') {
      p = 2 * (shape[0] ?? 0);
      next = shape;
    } else if (layer.type === 'globalavgpool') {
      if (shape.length !== 3) return { layers: out, params, error: { index, message: 'needs an image input' } };
      next = [shape[0] as number];
    } else if (layer.type === 'flatten') {
      next = [size(shape)];
    } else next = shape;
    params += p;
    out.push({ index, output: next, params: p });
    shape = next;
  }
  return { layers: out, params, error: null };
}

export function tensorSize(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The editable hyper-parameters of a layer, with the model space's allowed values. */
export interface FieldSpec {
  field: string;
  label: string;
  values: readonly (number | string)[];
}

export const LAYER_FIELDS: Record<LayerType, readonly FieldSpec[]> = {
  conv2d: [
    { field: 'kernelSize', label: 'kernel', values: [1, 3, 5, 7] },
    { field: 'filters', label: 'filters', values: [8, 16, 32, 64, 128, 256] },
    { field: 'stride', label: 'stride', values: [1, 2] },
    { field: 'padding', label: 'padding', values: ['valid', 'same'] },
  ],
  maxpool: [
    { field: 'size', label: 'size', values: [2, 3, 5] },
    { field: 'stride', label: 'stride', values: [1, 2, 3] },
  ],
  avgpool: [
    { field: 'size', label: 'size', values: [2, 3, 5] },
    { field: 'stride', label: 'stride', values: [1, 2, 3] },
  ],
  dense: [{ field: 'units', label: 'units', values: [16, 32, 64, 128, 256, 512] }],
  activation: [{ field: 'function', label: 'function', values: ACTIVATIONS }],
  dropout: [{ field: 'rate', label: 'rate', values: [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875] }],
  batchnorm: [],
  globalavgpool: [],
  flatten: [],
};

/** A new layer of the given type with the model space's usual defaults. */
export function defaultLayer(type: LayerType): Layer {
  switch (type) {
    case 'conv2d': return { type, kernelSize: 3, filters: 32, stride: 1, padding: 'valid' };
    case 'maxpool':
    case 'avgpool': return { type, size: 2, stride: 2, padding: 'valid' };
    case 'dense': return { type, units: 64 };
    case 'activation': return { type, function: 'relu' };
    case 'dropout': return { type, rate: 0.25 };
    default: return { type };
  }
}

export const INSERTABLE: readonly LayerType[] = [
  'conv2d', 'maxpool', 'avgpool', 'dense', 'activation', 'dropout', 'batchnorm', 'globalavgpool', 'flatten',
];

/** The value of a field of a layer (undefined when it has none). */
export function fieldValue(layer: Layer, field: string): number | string | undefined {
  const v = (layer as unknown as Record<string, unknown>)[field];
  return typeof v === 'number' || typeof v === 'string' ? v : undefined;
}
