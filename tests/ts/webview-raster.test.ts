import { describe, expect, it } from 'vitest';
import { Raster, clipLine, discSprite } from '../../webview/src/raster';

const px = (r: Raster, x: number, y: number): number[] => Array.from(r.pixels.slice((y * r.width + x) * 4, (y * r.width + x) * 4 + 4));

describe('raster', () => {
  it('clears to an opaque background', () => {
    const r = new Raster(5, 4);
    r.clear([10, 20, 30, 1]);
    expect(px(r, 4, 3)).toEqual([10, 20, 30, 255]);
  });

  it('builds anti-aliased disc sprites: opaque inside, partial on the rim, empty outside', () => {
    const s = discSprite(4, [200, 0, 0, 1]);
    const at = (x: number, y: number): number => s.data[(y * s.size + x) * 4 + 3] as number;
    expect(at(s.half, s.half)).toBe(255);
    expect(at(0, 0)).toBe(0);
    const rim = at(s.half + 4, s.half);
    expect(rim).toBeGreaterThan(0);
    expect(rim).toBeLessThan(255);
    // the run/edge lists cover exactly the non-empty pixels
    let runPixels = 0;
    for (let k = 0; k < s.runs.length; k += 3) runPixels += (s.runs[k + 2] as number) - (s.runs[k + 1] as number);
    let nonEmpty = 0;
    for (let i = 3; i < s.data.length; i += 4) if ((s.data[i] as number) > 0) nonEmpty++;
    expect(runPixels + s.edges.length / 2).toBe(nonEmpty);
    // a ring has a hole
    const ring = discSprite(6, [0, 0, 0, 1], { width: 1.25, dashed: false });
    expect(ring.data[(ring.half * ring.size + ring.half) * 4 + 3]).toBe(0);
  });

  it('stamps sprites: the centre takes the sprite colour, the rim blends with the background', () => {
    const r = new Raster(30, 20);
    r.clear([255, 255, 255, 1]);
    const s = discSprite(4, [0, 0, 200, 1]);
    r.stamp(s, 10, 10);
    expect(px(r, 10, 10)).toEqual([0, 0, 200, 255]);
    expect(px(r, 25, 10)).toEqual([255, 255, 255, 255]);
    const rim = px(r, 14, 10);
    expect(rim[0]).toBeGreaterThan(0);
    expect(rim[0]).toBeLessThan(255);
    expect(rim[3]).toBe(255);
  });

  it('clips sprites at the borders, matching an unclipped stamp of the visible part', () => {
    const a = new Raster(12, 12);
    const b = new Raster(40, 40);
    a.clear([255, 255, 255, 1]);
    b.clear([255, 255, 255, 1]);
    const s = discSprite(5, [40, 80, 120, 1]);
    a.stamp(s, 1, 2); // partly outside
    b.stamp(s, 21, 22); // fully inside, shifted by (20, 20)
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) {
      const pa = px(a, x, y);
      const pb = px(b, x + 20, y + 20);
      // the clipped path blends in floats, the inside path in integers: ±2 levels
      for (let c = 0; c < 3; c++) expect(Math.abs((pa[c] as number) - (pb[c] as number))).toBeLessThanOrEqual(2);
    }
    a.stamp(s, -50, -50); // wholly outside: no effect, no error
  });

  it('draws clipped lines', () => {
    const r = new Raster(10, 10);
    r.clear([255, 255, 255, 1]);
    r.line(-5, 5, 20, 5, [0, 0, 0, 1], 1);
    for (let x = 0; x < 10; x++) expect(px(r, x, 5).slice(0, 3)).toEqual([0, 0, 0]);
    expect(px(r, 5, 4)).toEqual([255, 255, 255, 255]);
    expect(clipLine(-5, -5, -1, -1, 9, 9)).toBeNull();
    const clipped = clipLine(-5, 5, 20, 5, 9, 9) ?? [];
    [0, 5, 9, 5].forEach((v, i) => expect(clipped[i]).toBeCloseTo(v));
  });
});
