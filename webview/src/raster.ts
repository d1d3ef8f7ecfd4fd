/**
 * A tiny software rasteriser for the map's bulk drawing (pure apart from the typed
 * arrays): an opaque RGBA pixel buffer that sprites (anti-aliased circles rendered once)
 * are alpha-blended into, with 1-px lines for lineage edges and axis grids. The result goes
 * to the canvas with one putImageData per frame. Stamping 10,000 sprites this way takes a
 * few milliseconds where Canvas 2D arcs or drawImage calls take tens to hundreds when the
 * webview is rendered in software (no GPU) — see bench/bench_webview.mjs.
 */

export type RGBA = readonly [number, number, number, number];

/** ImageData pixels read as 32-bit words are A·B·G·R on little-endian machines (all real ones). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface Sprite {
  /** Width and height in pixels (square). */
  size: number;
  /** Offset from the top-left corner to the centre. */
  half: number;
  /** Straight-alpha RGBA pixels, size×size×4. */
  data: Uint8ClampedArray;
  /** The same pixels as 32-bit words (for copying opaque ones in one write). */
  words: Uint32Array;
  /** Opaque runs of one colour as (row, first column, end column) triples. */
  runs: Int16Array;
  /** The run colour as a 32-bit pixel word. */
  runWord: number;
  /** Partly covered pixels as (row·size + column, alpha 0–255) pairs; the rest is empty. */
  edges: Int32Array;
}

/** Derive the run and edge lists that make stamping fast (called once per sprite). */
export function compileSprite(size: number, half: number, data: Uint8ClampedArray): Sprite {
  const words = new Uint32Array(data.buffer, data.byteOffset, size * size);
  const runs: number[] = [];
  const edges: number[] = [];
  let runWord = -1;
  for (let y = 0; y < size; y++) {
    let x = 0;
    while (x < size) {
      const i = y * size + x;
      const a = data[i * 4 + 3] as number;
      if (a === 255 && (runWord === -1 || words[i] === runWord)) {
        runWord = words[i] as number;
        let end = x + 1;
        while (end < size && words[y * size + end] === runWord) end++;
        runs.push(y, x, end);
        x = end;
        continue;
      }
      if (a > 0) edges.push(i, a);
      x++;
    }
  }
  return { size, half, data, words, runs: Int16Array.from(runs), runWord: runWord === -1 ? 0 : runWord, edges: Int32Array.from(edges) };
}

export class Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8ClampedArray;
  private readonly words: Uint32Array;

  constructor(width: number, height: number, pixels?: Uint8ClampedArray) {
    this.width = Math.max(1, Math.floor(width));
    this.height = Math.max(1, Math.floor(height));
    this.pixels = pixels ?? new Uint8ClampedArray(this.width * this.height * 4);
    if (this.pixels.length !== this.width * this.height * 4) throw new Error('raster: pixel buffer size mismatch');
    this.words = new Uint32Array(this.pixels.buffer, this.pixels.byteOffset, this.width * this.height);
  }

  /** Fill with an opaque colour (the background). */
  clear(c: RGBA): void {
    const p = this.pixels;
    p[0] = c[0];
    p[1] = c[1];
    p[2] = c[2];
    p[3] = 255;
    this.words.fill(this.words[0] as number);
  }

  /** Blend one pixel with colour c at coverage alpha a (0–1). */
  blend(x: number, y: number, c: RGBA, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    const p = this.pixels;
    const inv = 1 - a;
    p[i] = c[0] * a + (p[i] as number) * inv;
    p[i + 1] = c[1] * a + (p[i + 1] as number) * inv;
    p[i + 2] = c[2] * a + (p[i + 2] as number) * inv;
  }

  /** Alpha-blend a sprite centred on the integer pixel (cx, cy). */
  stamp(s: Sprite, cx: number, cy: number): void {
    const x0 = cx - s.half;
    const y0 = cy - s.half;
    const w = this.width;
    const sx0 = Math.max(0, -x0);
    const sy0 = Math.max(0, -y0);
    const sx1 = Math.min(s.size, w - x0);
    const sy1 = Math.min(s.size, this.height - y0);
    if (sx0 >= sx1 || sy0 >= sy1) return;
    if (sx0 === 0 && sy0 === 0 && sx1 === s.size && sy1 === s.size) {
      this.stampInside(s, x0, y0);
      return;
    }
    const p = this.pixels;
    const pw = this.words;
    const d = s.data;
    const dw = s.words;
    for (let sy = sy0; sy < sy1; sy++) {
      let si = (sy * s.size + sx0) * 4;
      let di = ((y0 + sy) * w + x0 + sx0) * 4;
      for (let sx = sx0; sx < sx1; sx++, si += 4, di += 4) {
        const a = d[si + 3] as number;
        if (a === 0) continue;
        if (a === 255) {
          pw[di >> 2] = dw[si >> 2] as number;
          continue;
        }
        const inv = 255 - a;
        p[di] = ((d[si] as number) * a + (p[di] as number) * inv) / 255;
        p[di + 1] = ((d[si + 1] as number) * a + (p[di + 1] as number) * inv) / 255;
        p[di + 2] = ((d[si + 2] as number) * a + (p[di + 2] as number) * inv) / 255;
      }
    }
  }

  /** Stamp a sprite that lies wholly inside the buffer: native fills for the opaque runs,
   *  blending only for the anti-aliased edge pixels. */
  private stampInside(s: Sprite, x0: number, y0: number): void {
    const w = this.width;
    const pw = this.words;
    const runs = s.runs;
    const word = s.runWord;
    for (let k = 0; k < runs.length; k += 3) {
      const row = (y0 + (runs[k] as number)) * w + x0;
      const end = row + (runs[k + 2] as number);
      for (let i = row + (runs[k + 1] as number); i < end; i++) pw[i] = word;
    }
    const e = s.edges;
    const size = s.size;
    if (LITTLE_ENDIAN) {
      // Integer blending on whole pixel words: channel·a + dest·(256 − a), >> 8.
      const sw = s.words;
      for (let k = 0; k < e.length; k += 2) {
        const si = e[k] as number;
        const a = (e[k + 1] as number) + 1;
        const inv = 256 - a;
        const sy = (si / size) | 0;
        const di = (y0 + sy) * w + x0 + (si - sy * size);
        const src = sw[si] as number;
        const dst = pw[di] as number;
        const r = ((src & 255) * a + (dst & 255) * inv) >>> 8;
        const g = (((src >>> 8) & 255) * a + ((dst >>> 8) & 255) * inv) >>> 8;
        const b = (((src >>> 16) & 255) * a + ((dst >>> 16) & 255) * inv) >>> 8;
        pw[di] = 0xff000000 | (b << 16) | (g << 8) | r;
      }
      return;
    }
    const p = this.pixels;
    const d = s.data;
    for (let k = 0; k < e.length; k += 2) {
      const si = e[k] as number;
      const a = e[k + 1] as number;
      const sy = (si / size) | 0;
      const di = ((y0 + sy) * w + x0 + (si - sy * size)) * 4;
      const inv = 255 - a;
      const so = si * 4;
      p[di] = ((d[so] as number) * a + (p[di] as number) * inv) / 255;
      p[di + 1] = ((d[so + 1] as number) * a + (p[di + 1] as number) * inv) / 255;
      p[di + 2] = ((d[so + 2] as number) * a + (p[di + 2] as number) * inv) / 255;
    }
  }

  /** A 1-pixel line from (x0, y0) to (x1, y1), clipped to the buffer. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGBA, alpha: number): void {
    const clipped = clipLine(x0, y0, x1, y1, this.width - 1, this.height - 1);
    if (!clipped) return;
    [x0, y0, x1, y1] = clipped;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
    const ix = dx / steps;
    const iy = dy / steps;
    const w = this.width;
    let x = x0 + 0.5;
    let y = y0 + 0.5;
    if (LITTLE_ENDIAN) {
      const pw = this.words;
      const a = Math.round(alpha * 256);
      const inv = 256 - a;
      const r = c[0] * a;
      const g = c[1] * a;
      const b = c[2] * a;
      for (let k = 0; k <= steps; k++, x += ix, y += iy) {
        const i = (y | 0) * w + (x | 0); // inside the buffer: the segment was clipped
        const dst = pw[i] as number;
        pw[i] = 0xff000000 | (((b + ((dst >>> 16) & 255) * inv) >>> 8) << 16) | (((g + ((dst >>> 8) & 255) * inv) >>> 8) << 8) | ((r + (dst & 255) * inv) >>> 8);
      }
      return;
    }
    const p = this.pixels;
    const inv = 1 - alpha;
    for (let k = 0; k <= steps; k++, x += ix, y += iy) {
      const i = ((y | 0) * w + (x | 0)) * 4;
      p[i] = c[0] * alpha + (p[i] as number) * inv;
      p[i + 1] = c[1] * alpha + (p[i + 1] as number) * inv;
      p[i + 2] = c[2] * alpha + (p[i + 2] as number) * inv;
    }
  }

  hline(y: number, c: RGBA, alpha: number): void {
    if (y < 0 || y >= this.height) return;
    for (let x = 0; x < this.width; x++) this.blend(x, y, c, alpha);
  }

  vline(x: number, c: RGBA, alpha: number): void {
    if (x < 0 || x >= this.width) return;
    for (let y = 0; y < this.height; y++) this.blend(x, y, c, alpha);
  }
}

/** Liang–Barsky clipping of a segment to [0, w]×[0, h]; null when it misses. */
export function clipLine(x0: number, y0: number, x1: number, y1: number, w: number, h: number): [number, number, number, number] | null {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const edges: [number, number][] = [[-dx, x0], [dx, w - x0], [-dy, y0], [dy, h - y0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const t = q / p;
    if (p < 0) {
      if (t > t1) return null;
      if (t > t0) t0 = t;
    } else {
      if (t < t0) return null;
      if (t < t1) t1 = t;
    }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/**
 * An anti-aliased disc (or ring) sprite computed analytically: coverage from the distance
 * to the centre, so it needs no canvas (and is unit-testable).
 */
export function discSprite(radius: number, c: RGBA, ring: { width: number; dashed: boolean } | null = null): Sprite {
  const half = Math.ceil(radius + 1.5);
  const size = half * 2 + 1;
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - half;
      const dy = y - half;
      const d = Math.sqrt(dx * dx + dy * dy);
      let cover: number;
      if (ring) {
        const inner = radius - ring.width;
        cover = Math.min(1, Math.max(0, radius + 0.5 - d)) * Math.min(1, Math.max(0, d - inner + 0.5));
        if (ring.dashed && Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * 8) % 2 === 1) cover = 0;
      } else cover = Math.min(1, Math.max(0, radius + 0.5 - d));
      const i = (y * size + x) * 4;
      data[i] = c[0];
      data[i + 1] = c[1];
      data[i + 2] = c[2];
      data[i + 3] = Math.round(255 * cover * c[3]);
    }
  }
  return compileSprite(size, half, data);
}
