import { describe, expect, it } from 'vitest';
import {
  centreOn, dataToWorld, edgeIndicator, extentOf, fitBase, fromScreen, logTickLabel, logTicks, niceTicks, panBy, rectFromPoints,
  screenRectToWorld, toScreen, worldToData, zoomAt,
} from '../../webview/src/scales';

describe('scales', () => {
  it('fits an extent into the canvas with y up and a uniform scale', () => {
    const base = fitBase({ x0: 0, x1: 10, y0: 0, y1: 5 }, 220, 120, 10, true);
    expect(base.sx).toBeCloseTo(20);
    expect(base.sy).toBeCloseTo(-20);
    // corners land inside the padded box, y grows upwards
    expect(dataToWorld(base, 0, 0)).toEqual([10, 110]);
    expect(dataToWorld(base, 10, 5)).toEqual([210, 10]);
    const [x, y] = worldToData(base, 110, 60);
    expect(x).toBeCloseTo(5);
    expect(y).toBeCloseTo(2.5);
  });

  it('fills each axis separately when not uniform', () => {
    const base = fitBase({ x0: 0, x1: 1, y0: 3, y1: 6 }, 100, 100, 0, false);
    expect(base.sx).toBeCloseTo(100);
    expect(base.sy).toBeCloseTo(-100 / 3);
  });

  it('widens degenerate extents and ignores non-finite values', () => {
    expect(extentOf([], [])).toEqual({ x0: -0.5, x1: 0.5, y0: -0.5, y1: 0.5 });
    expect(extentOf([2, NaN, 4], [3, 1, 7])).toEqual({ x0: 2, x1: 4, y0: 3, y1: 7 });
    expect(extentOf([2], [3])).toEqual({ x0: 1.5, x1: 2.5, y0: 2.5, y1: 3.5 });
  });

  it('zooms about the pointer: the point under it stays put', () => {
    const z0 = { k: 1.5, tx: 12, ty: -7 };
    const z1 = zoomAt(z0, 200, 100, 2);
    const before = fromScreen(z0, 200, 100);
    const after = fromScreen(z1, 200, 100);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
    expect(z1.k).toBeCloseTo(3);
    expect(zoomAt(z0, 0, 0, 1e9).k).toBe(400);
    expect(zoomAt(z0, 0, 0, 1e-9).k).toBe(0.5);
  });

  it('pans, centres and converts screen rectangles to world rectangles', () => {
    const z = panBy({ k: 2, tx: 0, ty: 0 }, 10, -4);
    expect(toScreen(z, 5, 5)).toEqual([20, 6]);
    const c = centreOn(z, 50, 25, 300, 200);
    expect(toScreen(c, 50, 25)).toEqual([150, 100]);
    const r = screenRectToWorld(z, rectFromPoints(30, 26, 10, 6));
    expect(r).toEqual({ x0: 0, y0: 5, x1: 10, y1: 15 });
  });

  it('produces round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.2, 6.1, 3)).toEqual([4, 5, 6]);
    expect(niceTicks(1, 1, 5)).toEqual([]);
  });

  it('places off-screen indicators on the border towards the point', () => {
    expect(edgeIndicator(50, 50, 100, 100, 5)).toBeNull();
    const right = edgeIndicator(400, 50, 100, 100, 5);
    expect(right?.x).toBeCloseTo(95);
    expect(right?.y).toBeCloseTo(50);
    expect(right?.angle).toBeCloseTo(0);
    const up = edgeIndicator(50, -300, 100, 100, 5);
    expect(up?.y).toBeCloseTo(5);
    expect(up?.angle).toBeCloseTo(-Math.PI / 2);
  });

  it('labels a log10 axis with powers of ten, as the original does', () => {
    // The defect: niceTicks on 3.4..5.2 gave 3.5 / 4 / 4.5 / 5, drawn as "3.5 / 1e4 / 4.5 / 1e5".
    const wide = logTicks(2.6, 8.3, 6);
    expect(wide).toEqual([3, 4, 5, 6, 7, 8]);
    expect(wide.map(logTickLabel)).toEqual(['1e3', '1e4', '1e5', '1e6', '1e7', '1e8']);
    expect(logTicks(0, 12, 3)).toEqual([0, 4, 8, 12]); // every 4th decade when many are visible
    const narrow = logTicks(3.4, 5.2, 5);
    expect(narrow.filter(Number.isInteger)).toEqual([4, 5]);
    expect(narrow.map(logTickLabel)).toEqual(['1e4', '1e5']);
    // zoomed into one decade: the 2× and 5× marks, never fractional exponents
    const zoomed = logTicks(4.1, 4.9, 5).map(logTickLabel);
    expect(zoomed).toEqual(['2e4', '5e4']);
    expect(logTicks(4.31, 4.5, 5).map(logTickLabel)).toEqual(['3e4']);
    expect(logTickLabel(Math.log10(200_000))).toBe('2e5');
  });
});
