import { describe, expect, it } from 'vitest';
import { GridIndex, nearestLinear, nextInDirection } from '../../webview/src/spatial';

function points(n: number, seed = 3): [number[], number[]] {
  let s = seed;
  const r = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(r() * 1000);
    ys.push(r() * 600);
  }
  return [xs, ys];
}

describe('GridIndex', () => {
  it('finds the same nearest point as a linear scan', () => {
    const [xs, ys] = points(5000);
    const index = new GridIndex(xs, ys);
    const [qx, qy] = points(400, 99);
    let hits = 0;
    for (let q = 0; q < qx.length; q++) {
      const want = nearestLinear(xs, ys, qx[q] as number, qy[q] as number, 12);
      const got = index.nearest(qx[q] as number, qy[q] as number, 12);
      expect(got).toBe(want);
      if (got >= 0) hits++;
    }
    expect(hits).toBeGreaterThan(50); // the queries really exercised hits, not only misses
  });

  it('respects per-point radii and the accept filter', () => {
    const index = new GridIndex([0, 10], [0, 0]);
    expect(index.nearest(4, 0, 20)).toBe(0);
    expect(index.nearest(4, 0, 20, (i) => (i === 0 ? 3 : 8))).toBe(1);
    expect(index.nearest(4, 0, 20, undefined, (i) => i !== 0)).toBe(1);
    expect(index.nearest(4, 0, 2)).toBe(-1);
  });

  it('returns every point inside a brushed rectangle', () => {
    const [xs, ys] = points(3000);
    const index = new GridIndex(xs, ys);
    const rect = { x0: 100, y0: 50, x1: 380, y1: 290 };
    const want = xs.map((x, i) => i).filter((i) => (xs[i] as number) >= 100 && (xs[i] as number) <= 380 && (ys[i] as number) >= 50 && (ys[i] as number) <= 290);
    expect(index.queryRect(rect)).toEqual(want);
    expect(want.length).toBeGreaterThan(100);
    expect(index.queryRect(rect, (i) => i % 2 === 0)).toEqual(want.filter((i) => i % 2 === 0));
  });

  it('handles empty and single-point sets', () => {
    expect(new GridIndex([], []).nearest(0, 0, 10)).toBe(-1);
    expect(new GridIndex([], []).queryRect({ x0: 0, y0: 0, x1: 1, y1: 1 })).toEqual([]);
    expect(new GridIndex([5], [5]).nearest(6, 5, 2)).toBe(0);
  });
});

describe('nextInDirection', () => {
  const xs = [0, 10, 0, -10, 20, 3];
  const ys = [0, 0, 10, 0, 1, -20];
  it('moves to the nearest point ahead, preferring straight lines', () => {
    expect(nextInDirection(xs, ys, 0, 1, 0)).toBe(1);
    expect(nextInDirection(xs, ys, 0, -1, 0)).toBe(3);
    expect(nextInDirection(xs, ys, 0, 0, 1)).toBe(2);
    expect(nextInDirection(xs, ys, 0, 0, -1)).toBe(5);
    expect(nextInDirection(xs, ys, 4, 1, 0)).toBe(-1);
  });
});
