import { describe, expect, it } from 'vitest';
import { binValues, inRange, rangeFromPixels, rangeToPixels } from '../../webview/src/histogram';

describe('histogram', () => {
  it('bins values, clamping outliers and skipping nulls', () => {
    const b = binValues([0, 0.1, 0.26, 0.5, 0.99, 1, 1.7, -3, null, NaN], 0, 1, 4);
    expect(b.counts).toEqual([3, 1, 1, 3]);
    expect(b.max).toBe(3);
  });

  it('widens an empty range so a constant lands in one bin', () => {
    const b = binValues([2, 2, 2], 2, 2, 5);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBe(3);
    expect(b.hi).toBeGreaterThan(b.lo);
  });

  it('maps brushed pixels to value ranges and back', () => {
    const [lo, hi] = rangeFromPixels(150, 50, 200, 0, 1);
    expect(lo).toBeCloseTo(0.25);
    expect(hi).toBeCloseTo(0.75);
    expect(rangeFromPixels(-20, 500, 200, 2, 6)).toEqual([2, 6]);
    const [a, b] = rangeToPixels([0.25, 0.75], 200, 0, 1);
    expect(a).toBeCloseTo(50);
    expect(b).toBeCloseTo(150);
  });

  it('filters by range; null values never pass a range', () => {
    expect(inRange(0.5, null)).toBe(true);
    expect(inRange(null, null)).toBe(true);
    expect(inRange(null, [0, 1])).toBe(false);
    expect(inRange(0.5, [0.5, 0.6])).toBe(true);
    expect(inRange(0.61, [0.5, 0.6])).toBe(false);
  });
});
