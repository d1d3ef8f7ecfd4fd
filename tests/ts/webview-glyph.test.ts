import { describe, expect, it } from 'vitest';
import type { Layer } from '../../protocol/remap';
import { LEGEND, activationValue, chipHeight, chipText, glyphInputsFromRow, glyphLayout } from '../../webview/src/glyph';
import { CATEGORIES, categoryOf, describeLayer, inferShapes, parseLayer, parseLayers } from '../../webview/src/layers';

const LAYERS: Layer[] = [
  { type: 'conv2d', kernelSize: 3, filters: 16, stride: 1, padding: 'valid' },
  { type: 'activation', function: 'relu' },
  { type: 'maxpool', size: 2, stride: 2, padding: 'valid' },
  { type: 'dropout', rate: 0.25 },
  { type: 'batchnorm' },
  { type: 'flatten' },
  { type: 'dense', units: 10 },
];

describe('layers', () => {
  it('describes layers exactly like the server and parses them back', () => {
    const texts = LAYERS.map(describeLayer);
    expect(texts).toEqual(['Conv2D 3×3/16', 'Activation relu', 'MaxPool 2', 'Dropout 0.25', 'BatchNorm', 'Flatten', 'Dense 10']);
    expect(parseLayers(texts.join(' → '))).toEqual(LAYERS);
    expect(parseLayer('Conv2D 5×5/32 stride 2 same')).toEqual({ type: 'conv2d', kernelSize: 5, filters: 32, stride: 2, padding: 'same' });
    expect(parseLayer('Wobble 3')).toBeNull();
  });

  it('infers shapes and parameters with the server semantics', () => {
    const r = inferShapes([1, 28, 28], LAYERS);
    expect(r.error).toBeNull();
    expect(r.layers.map((l) => l.output)).toEqual([[16, 26, 26], [16, 26, 26], [16, 13, 13], [16, 13, 13], [16, 13, 13], [2704], [10]]);
    expect(r.params).toBe(3 * 3 * 16 + 16 + 32 + 2704 * 10 + 10);
    const bad = inferShapes([1, 4, 4], [{ type: 'conv2d', kernelSize: 5, filters: 8, stride: 1, padding: 'valid' }]);
    expect(bad.error?.index).toBe(0);
    // a vector is reshaped into a square image before a conv
    const reshaped = inferShapes([1, 8, 8], [{ type: 'dense', units: 64 }, { type: 'conv2d', kernelSize: 3, filters: 4, stride: 1, padding: 'same' }]);
    expect(reshaped.layers[1]?.output).toEqual([4, 8, 8]);
  });
});

describe('glyph layout', () => {
  it('lays out one chip per layer left to right, coloured by category', () => {
    const inputs = glyphInputsFromRow({ layers: LAYERS.map(describeLayer).join(' → ') }, [1, 28, 28]);
    const g = glyphLayout(inputs, { height: 40, chipWidth: 10, gap: 2 });
    expect(g.chips.map((c) => c.category)).toEqual(['conv', 'activation', 'pooling', 'dropout', 'batchnorm', 'other', 'dense']);
    expect(g.chips.map((c) => c.x)).toEqual([0, 12, 24, 36, 48, 60, 72]);
    expect(g.width).toBe(7 * 10 + 6 * 2);
    expect(g.chips[3]?.dotted).toBe(true);
    expect(g.chips.filter((c) => c.dotted)).toHaveLength(1);
    expect(g.chips[1]?.curve).toBe('relu');
    expect(categoryOf('avgpool')).toBe('pooling');
  });

  it('scales chip height with the log of the output size, centred vertically', () => {
    const inputs = glyphInputsFromRow({ layers: LAYERS.map(describeLayer).join(' → ') }, [1, 28, 28]);
    const g = glyphLayout(inputs, { height: 40, chipWidth: 10, gap: 2 });
    const [conv, , pool, , , , dense] = g.chips;
    expect(conv!.h).toBeGreaterThan(pool!.h); // 10816 > 2704 elements
    expect(pool!.h).toBeGreaterThan(dense!.h); // 2704 > 10
    for (const c of g.chips) expect(c.y + c.h / 2).toBeCloseTo(20);
    expect(chipHeight(1, 40)).toBeCloseTo(40 * 0.3);
    expect(chipHeight(2 ** 30, 40)).toBeCloseTo(40);
    expect(chipHeight(null, 40)).toBeCloseTo(12);
  });

  it('prints hyper-parameters only at larger sizes', () => {
    const inputs = LAYERS.map((layer) => ({ layer, outSize: 100 }));
    expect(glyphLayout(inputs, { height: 20, chipWidth: 6, gap: 1, detail: true }).chips.every((c) => c.text.length === 0)).toBe(true);
    const big = glyphLayout(inputs, { height: 60, chipWidth: 24, gap: 2, detail: true });
    expect(big.chips[0]?.text).toEqual(['3×3', '16']);
    expect(big.chips[3]?.text).toEqual(['.25']);
    expect(big.chips[6]?.text).toEqual(['10']);
    expect(chipText({ type: 'avgpool', size: 3, stride: 2, padding: 'valid' })).toEqual(['avg3']);
    expect(big.chips[0]?.title).toContain('Conv2D 3×3/16');
  });

  it('evaluates activation curves', () => {
    expect(activationValue('relu', -2)).toBe(0);
    expect(activationValue('relu', 2)).toBe(2);
    expect(activationValue('sigmoid', 0)).toBeCloseTo(0.5);
    expect(activationValue('tanh', 10)).toBeCloseTo(1);
    expect(activationValue('leaky_relu', -1)).toBeCloseTo(-0.1);
  });
});

describe('glyph legend', () => {
  it('has one key per chip colour, each with a distinct letter', () => {
    expect(LEGEND.map((k) => k.category).sort()).toEqual([...CATEGORIES].sort());
    expect(new Set(LEGEND.map((k) => k.letter)).size).toBe(LEGEND.length);
    // every layer type of a glyph falls under one key
    for (const l of LAYERS) expect(LEGEND.some((k) => k.category === categoryOf(l.type))).toBe(true);
  });
});
