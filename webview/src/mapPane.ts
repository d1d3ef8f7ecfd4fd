/**
 * One map pane: a canvas showing one view (architecture, prediction or accuracy vs.
 * parameters) with wheel zoom, pan (drag with Shift/Alt/middle button, or pan mode), brush
 * (drag a rectangle: adds the models inside to the drawer), hover (grid-index hit test,
 * tooltip, linked across panes), click to inspect, double-click to add to the drawer, and
 * keyboard navigation. Redraws on requestAnimationFrame only when something changed.
 * Exposes data-* attributes (view, points, hovered, zoom, colour mode) for tools and tests.
 */
import { idLabel, modelLabel } from '../../protocol/models';
import type { View } from '../../protocol/remap';
import { button, frameScheduler, h, replaceChildren } from './dom';
import type { Indicator } from './mapDraw';
import { SpriteCache, drawMap } from './mapDraw';
import type { MapData } from './mapData';
import { DIMMED, R_MAX, buildMapData, colourBuckets, placeWorld } from './mapData';
import type { Base, Rect, Zoom } from './scales';
import { IDENTITY, centreOn, fitBase, panBy, rectFromPoints, screenRectToWorld, zoomAt } from './scales';
import { nextInDirection } from './spatial';
import type { PaneState } from './state';
import type { Store } from './store';
import type { Palette } from './theme';
import { RAMP_SIZE } from './theme';
import { modelTooltip } from './tooltip';

export const VIEW_LABELS: Record<View, string> = {
  architecture: 'Architecture (OTMANN)',
  prediction: 'Predictions',
  accuracy: 'Accuracy vs. parameters',
};

export interface PaneOptions {
  palette: () => Palette;
  panMode: () => boolean;
  showEdges: () => boolean;
  onChange: () => void;
}

export class MapPane {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly wrap: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly select: HTMLSelectElement;
  /** UMAP or MDS for the architecture and prediction views (hidden on accuracy). */
  private readonly method: HTMLSelectElement;
  /** Disagreement or per-class accuracy gap, for the prediction view. */
  private readonly distance: HTMLSelectElement;
  private ctx: CanvasRenderingContext2D;
  view: View;
  zoom: Zoom;
  private base: Base | null = null;
  private data: MapData;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private drag: { mode: 'pan' | 'brush'; x0: number; y0: number; x: number; y: number; zoom: Zoom; moved: boolean } | null = null;
  private brush: Rect | null = null;
  private indicators: Indicator[] = [];
  private spaceDown = false;
  private colourDirty = true;
  private sprites: SpriteCache | null = null;
  private image: ImageData | null = null;
  /** What the ImageData's points were drawn for; equal → only overlays need redrawing. */
  private bulkKey = '';
  private dataVersion = 0;
  private spritesUsed: SpriteCache | null = null;
  private spritePalette: Palette | null = null;
  readonly requestDraw: () => void;
  frames = 0;

  constructor(private readonly store: Store, readonly id: string, initial: PaneState, private readonly opts: PaneOptions) {
    this.view = initial.view;
    this.zoom = initial.zoom ?? IDENTITY;
    this.requestDraw = frameScheduler(() => this.draw());
    this.select = h('select', { class: 'view-select', 'aria-label': `${id} map view` },
      ...(Object.keys(VIEW_LABELS) as View[]).map((v) => h('option', { value: v, text: VIEW_LABELS[v] })));
    this.select.value = this.view;
    this.select.addEventListener('change', () => this.setView(this.select.value as View));
    this.method = h('select', { class: 'method-select', 'aria-label': `${id} map projection`, title: 'Projection of the distances onto the plane' },
      h('option', { value: 'umap', text: 'UMAP' }), h('option', { value: 'mds', text: 'MDS' }));
    this.method.addEventListener('change', () => store.setProjection(this.view, this.method.value as 'umap' | 'mds'));
    this.distance = h('select', { class: 'distance-select', 'aria-label': `${id} prediction distance`, title: 'How the prediction map measures two models apart' },
      h('option', { value: 'disagreement', text: 'Disagreement' }), h('option', { value: 'per_class', text: 'Per-class accuracy' }));
    this.distance.addEventListener('change', () => store.setPredictionDistance(this.distance.value as 'disagreement' | 'per_class'));
    this.caption = h('span', { class: 'map-caption' });
    this.canvas = h('canvas', { class: 'map-canvas', tabindex: 0, role: 'application',
      'aria-roledescription': 'model map', 'data-pane': id });
    this.tip = h('div', { class: 'map-tooltip', role: 'tooltip', hidden: true });
    this.empty = h('div', { class: 'map-empty', hidden: true });
    this.wrap = h('div', { class: 'map-canvas-wrap' }, this.canvas, this.tip, this.empty);
    this.el = h('section', { class: 'map-pane', 'data-pane': id },
      h('header', { class: 'map-pane-header' }, this.select, this.method, this.distance,
        button('⟲', () => this.resetZoom(), { class: 'icon', title: 'Reset zoom (0)', 'aria-label': 'Reset zoom' }),
        this.caption),
      this.wrap);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D is not available');
    this.ctx = ctx;
    this.data = buildMapData(undefined, store.byId);
    this.attach();
    new ResizeObserver(() => this.resize()).observe(this.wrap);
    store.on(['maps', 'models'], () => this.rebuild());
    // Recolouring touches every point: do it at most once per frame, however many
    // per-class results arrive in between.
    store.on(['class', 'perClass', 'filters'], () => {
      this.colourDirty = true;
      this.requestDraw();
    });
    store.on('reveal', () => this.reveal(store.inspected));
    store.on(['hover', 'selection', 'inspect', 'drawer'], () => {
      this.updateTooltip();
      this.requestDraw();
    });
  }

  setView(view: View): void {
    this.view = view;
    this.select.value = view;
    this.zoom = IDENTITY;
    this.rebuild();
    this.opts.onChange();
  }

  /** Centre the view on a model when it is outside the viewport. */
  reveal(id: number | null): void {
    const i = this.indexOf(id);
    if (i < 0 || !this.width) return;
    const [x, y] = this.screenOf(i);
    if (x >= 0 && y >= 0 && x <= this.width && y <= this.height) return;
    this.zoom = centreOn(this.zoom, this.data.wx[i] as number, this.data.wy[i] as number, this.width, this.height);
    this.changed();
  }

  /** The colour scale's value range (legend). */
  colourRange(): [number, number] {
    return [this.data.lo, this.data.hi];
  }

  state(): PaneState {
    return { view: this.view, zoom: this.zoom };
  }

  resetZoom(): void {
    this.zoom = IDENTITY;
    this.changed();
  }

  private changed(): void {
    this.canvas.dataset.zoom = this.zoom.k.toFixed(3);
    this.updateTooltip();
    this.requestDraw();
    this.opts.onChange();
  }

  /** Rebuild the point arrays from the store (new map or models). */
  rebuild(): void {
    const map = this.store.maps.get(this.view);
    this.data = buildMapData(map, this.store.byId);
    this.base = null;
    this.fit();
    this.recolour();
    const err = this.store.mapErrors.get(this.view);
    const text = err ?? (map && !map.points.length ? (map.note ?? 'no models yet') : map ? null : 'loading…');
    this.empty.hidden = text === null;
    this.empty.textContent = text ?? '';
    this.empty.classList.toggle('error', !!err);
    // A report holds one map per view: nothing to switch there.
    const fixed = this.store.host.kind === 'report';
    this.method.hidden = fixed || this.view === 'accuracy';
    this.distance.hidden = fixed || this.view !== 'prediction';
    this.distance.value = this.store.state.predictionDistance ?? map?.distance ?? 'disagreement';
    const method = this.store.state.projection?.[this.view] ?? (map && map.method !== 'axes' ? map.method : undefined);
    if (method) this.method.value = method;
    const bits: string[] = [];
    if (map) {
      bits.push(`${map.points.length} models`);
      if (map.method !== 'axes') bits.push(map.method.toUpperCase());
      if (map.trustworthiness !== null) bits.push(`trust ${map.trustworthiness.toFixed(2)}`);
      if (map.note && map.points.length) bits.push(map.note);
    }
    this.caption.textContent = bits.join(' · ');
    this.canvas.dataset.view = this.view;
    this.canvas.dataset.points = String(this.data.n);
    this.canvas.dataset.zoom = this.zoom.k.toFixed(3);
    this.canvas.setAttribute('aria-label', `${VIEW_LABELS[this.view]} map of ${this.data.n} models. Arrow keys move between models, Enter inspects, Space adds to the drawer.`);
  }

  private fit(): void {
    if (!this.width || !this.height) return;
    const axes = this.view === 'accuracy';
    this.base = fitBase(this.data.extent, this.width, this.height, axes ? 30 : 16, !axes);
    placeWorld(this.data, this.base);
    this.dataVersion++;
  }

  recolour(): void {
    this.colourDirty = false;
    this.dataVersion++;
    const s = this.store;
    colourBuckets(this.data, s.byId, (m) => s.colourValue(m), (m) => s.passes(m), RAMP_SIZE);
    const cls = s.activeClass;
    this.canvas.dataset.colour = cls === null ? 'accuracy' : `class:${cls}`;
    this.requestDraw();
  }

  private resize(): void {
    const r = this.wrap.getBoundingClientRect();
    const w = Math.max(1, Math.floor(r.width));
    const hgt = Math.max(1, Math.floor(r.height));
    this.dpr = window.devicePixelRatio || 1;
    if (w === this.width && hgt === this.height && this.canvas.width === Math.round(w * this.dpr)) return;
    this.width = w;
    this.height = hgt;
    this.canvas.width = Math.round(w * this.dpr);
    this.canvas.height = Math.round(hgt * this.dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${hgt}px`;
    this.fit();
    this.draw();
  }

  private rScale(): number {
    return Math.min(2.5, Math.max(0.75, Math.pow(this.zoom.k, 0.25)));
  }

  private indices(ids: Iterable<number>): number[] {
    const out: number[] = [];
    for (const id of ids) {
      const i = this.data.indexOf.get(id);
      if (i !== undefined) out.push(i);
    }
    return out;
  }

  private indexOf(id: number | null): number {
    return id === null ? -1 : (this.data.indexOf.get(id) ?? -1);
  }

  draw(): void {
    if (!this.width || !this.base) return;
    const t0 = performance.now();
    if (this.colourDirty) this.recolour();
    const s = this.store;
    const palette = this.opts.palette();
    if (!this.sprites || this.spritePalette !== palette || this.sprites.dpr !== this.dpr) {
      this.sprites = new SpriteCache(palette, this.dpr);
      this.spritePalette = palette;
    }
    const axes = this.view === 'accuracy' ? { base: this.base, ...(s.maps.get('accuracy')?.axes ?? { x: 'validation accuracy', y: 'log10 parameters' }) } : null;
    if (!this.image || this.image.width !== this.canvas.width || this.image.height !== this.canvas.height) {
      this.image = this.ctx.createImageData(this.canvas.width, this.canvas.height);
    }
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    const z = this.zoom;
    const key = [this.dataVersion, z.k, z.tx, z.ty, this.width, this.height, this.dpr, this.opts.showEdges()].join(':');
    const reuse = key === this.bulkKey && this.sprites === this.spritesUsed;
    this.bulkKey = key;
    this.spritesUsed = this.sprites;
    this.indicators = drawMap(this.ctx, this.image, this.data, {
      width: this.width, height: this.height, zoom: this.zoom, rScale: this.rScale(), palette, dpr: this.dpr, sprites: this.sprites,
      showEdges: this.opts.showEdges(), hovered: this.indexOf(s.hovered), inspected: this.indexOf(s.inspected),
      selection: this.indices(s.selection), drawer: this.indices(s.drawer), brush: this.brush, axes,
    }, reuse);
    const ii = this.indexOf(s.inspected);
    if (ii >= 0) {
      const [ix, iy] = this.screenOf(ii);
      this.canvas.dataset.inspectedX = ix.toFixed(1);
      this.canvas.dataset.inspectedY = iy.toFixed(1);
    } else {
      delete this.canvas.dataset.inspectedX;
      delete this.canvas.dataset.inspectedY;
    }
    this.canvas.dataset.selected = [...s.selection].sort((a, b) => a - b).join(' ');
    this.frames++;
    this.canvas.dataset.frames = String(this.frames);
    this.canvas.dataset.drawMs = (performance.now() - t0).toFixed(2);
  }

  // ---- hit testing -----------------------------------------------------------------------
  private accept = (i: number): boolean => this.data.bucket[i] !== DIMMED;

  /** The point under the screen position, or −1. */
  hit(x: number, y: number): number {
    const k = this.zoom.k;
    const rs = this.rScale();
    const wx = (x - this.zoom.tx) / k;
    const wy = (y - this.zoom.ty) / k;
    const maxDist = (R_MAX * rs + 3) / k;
    return this.data.index.nearest(wx, wy, maxDist, (i) => ((this.data.radius[i] as number) * rs + 3) / k, this.accept);
  }

  private screenOf(i: number): [number, number] {
    return [(this.data.wx[i] as number) * this.zoom.k + this.zoom.tx, (this.data.wy[i] as number) * this.zoom.k + this.zoom.ty];
  }

  private updateTooltip(): void {
    const s = this.store;
    const i = this.indexOf(s.hovered);
    const row = s.hovered === null ? undefined : s.byId.get(s.hovered);
    this.canvas.dataset.hovered = s.hovered === null ? '' : String(s.hovered);
    if (i < 0 || !row || s.hoverSource !== this.id) {
      this.tip.hidden = true;
      delete this.canvas.dataset.hoverX;
      delete this.canvas.dataset.hoverY;
      return;
    }
    const [x, y] = this.screenOf(i);
    this.canvas.dataset.hoverX = x.toFixed(1);
    this.canvas.dataset.hoverY = y.toFixed(1);
    replaceChildren(this.tip, modelTooltip(s, row));
    this.tip.dataset.model = String(row.id);
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    const th = this.tip.offsetHeight;
    const left = x + 14 + tw > this.width ? Math.max(0, x - 14 - tw) : x + 14;
    const top = Math.min(Math.max(0, y - th / 2), Math.max(0, this.height - th));
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${top}px`;
  }

  // ---- interaction -----------------------------------------------------------------------
  private pos(e: MouseEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private attach(): void {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 && e.button !== 1) return;
      const [x, y] = this.pos(e);
      const pan = this.opts.panMode() || e.button === 1 || e.shiftKey || e.altKey || this.spaceDown;
      this.drag = { mode: pan ? 'pan' : 'brush', x0: x, y0: y, x, y, zoom: this.zoom, moved: false };
      try {
        c.setPointerCapture(e.pointerId);
      } catch {
        // synthetic events (tests, assistive tools) have no capturable pointer
      }
      c.classList.toggle('panning', pan);
      if (e.button === 1) e.preventDefault();
    });
    c.addEventListener('pointermove', (e) => {
      const [x, y] = this.pos(e);
      const d = this.drag;
      if (d) {
        d.x = x;
        d.y = y;
        if (Math.abs(x - d.x0) + Math.abs(y - d.y0) > 3) d.moved = true;
        if (d.mode === 'pan') {
          this.zoom = panBy(d.zoom, x - d.x0, y - d.y0);
          this.changed();
        } else if (d.moved) {
          this.brush = rectFromPoints(d.x0, d.y0, x, y);
          this.requestDraw();
        }
        return;
      }
      const i = this.hit(x, y);
      this.store.setHover(i < 0 ? null : (this.data.ids[i] as number), i < 0 ? null : this.id);
    });
    const end = (e: PointerEvent, cancelled: boolean): void => {
      const d = this.drag;
      if (!d) return;
      this.drag = null;
      c.classList.remove('panning');
      if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
      if (cancelled) {
        this.brush = null;
        this.requestDraw();
        return;
      }
      if (d.mode === 'brush' && d.moved && this.brush) this.finishBrush(this.brush, e.ctrlKey || e.metaKey);
      else if (!d.moved) this.click(d.x0, d.y0, e.ctrlKey || e.metaKey);
      this.brush = null;
      this.requestDraw();
    };
    c.addEventListener('pointerup', (e) => end(e, false));
    c.addEventListener('pointercancel', (e) => end(e, true));
    c.addEventListener('pointerleave', () => {
      if (!this.drag && this.store.hoverSource === this.id) this.store.setHover(null);
    });
    c.addEventListener('dblclick', (e) => {
      const [x, y] = this.pos(e);
      const i = this.hit(x, y);
      if (i >= 0) {
        this.store.addToDrawer([this.data.ids[i] as number]);
        this.store.say(`Added ${idLabelOf(this.store, this.data.ids[i] as number)} to the drawer`);
      }
    });
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const [x, y] = this.pos(e);
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
      this.zoom = zoomAt(this.zoom, x, y, Math.exp(-e.deltaY * unit * 0.0015));
      this.changed();
      const i = this.hit(x, y);
      this.store.setHover(i < 0 ? null : (this.data.ids[i] as number), i < 0 ? null : this.id);
    }, { passive: false });
    c.addEventListener('keydown', (e) => this.key(e));
    c.addEventListener('keyup', (e) => {
      if (e.key === ' ') this.spaceDown = false;
    });
    c.addEventListener('blur', () => {
      this.spaceDown = false;
      if (this.store.hoverSource === this.id && !c.matches(':hover')) this.store.setHover(null);
    });
  }

  private click(x: number, y: number, toggle: boolean): void {
    const ind = this.indicators.find((p) => Math.hypot(p.x - x, p.y - y) < 9);
    if (ind) {
      this.zoom = centreOn(this.zoom, this.data.wx[ind.index] as number, this.data.wy[ind.index] as number, this.width, this.height);
      this.changed();
      return;
    }
    const i = this.hit(x, y);
    if (i < 0) return;
    const id = this.data.ids[i] as number;
    if (toggle) {
      this.store.select([id], 'toggle');
      return;
    }
    this.store.select([id]);
    this.store.inspect(id);
  }

  private finishBrush(rect: Rect, add: boolean): void {
    const world = screenRectToWorld(this.zoom, rect);
    const ids = this.data.index.queryRect(world, this.accept).map((i) => this.data.ids[i] as number);
    if (!ids.length) return;
    this.store.select(ids, add ? 'add' : 'replace');
    this.store.addToDrawer(ids);
    this.store.say(`Brushed ${ids.length} model${ids.length === 1 ? '' : 's'} into the drawer`);
  }

  private key(e: KeyboardEvent): void {
    const s = this.store;
    const dirs: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const dir = dirs[e.key];
    if (dir) {
      e.preventDefault();
      if (this.data.n === 0) return;
      let i = this.indexOf(s.hovered);
      if (i < 0) i = this.nearestToCentre();
      else {
        const next = nextInDirection(this.data.wx, this.data.wy, i, dir[0], dir[1], this.accept);
        if (next >= 0) i = next;
      }
      if (i < 0) return;
      const [x, y] = this.screenOf(i);
      if (x < 0 || y < 0 || x > this.width || y > this.height) {
        this.zoom = centreOn(this.zoom, this.data.wx[i] as number, this.data.wy[i] as number, this.width, this.height);
        this.changed();
      }
      s.setHover(this.data.ids[i] as number, this.id);
      return;
    }
    const hovered = s.hovered;
    switch (e.key) {
      case 'Enter':
        if (hovered !== null) {
          s.select([hovered]);
          s.inspect(hovered);
        }
        break;
      case ' ':
        e.preventDefault();
        if (hovered !== null) {
          s.addToDrawer([hovered]);
          s.say(`Added ${idLabelOf(s, hovered)} to the drawer`);
        } else this.spaceDown = true;
        break;
      case 'Escape':
        this.brush = null;
        this.drag = null;
        s.select([]);
        s.setHover(null);
        break;
      case '+':
      case '=':
        this.zoom = zoomAt(this.zoom, this.width / 2, this.height / 2, 1.25);
        this.changed();
        break;
      case '-':
      case '_':
        this.zoom = zoomAt(this.zoom, this.width / 2, this.height / 2, 0.8);
        this.changed();
        break;
      case '0':
        this.resetZoom();
        break;
      default:
        return;
    }
  }

  private nearestToCentre(): number {
    let best = -1;
    let bestD = Infinity;
    const cx = (this.width / 2 - this.zoom.tx) / this.zoom.k;
    const cy = (this.height / 2 - this.zoom.ty) / this.zoom.k;
    for (let i = 0; i < this.data.n; i++) {
      if (!this.accept(i)) continue;
      const d = Math.hypot((this.data.wx[i] as number) - cx, (this.data.wy[i] as number) - cy);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
}

/** The label of model `id` (its row's, or "#id" while the row is not loaded). */
function idLabelOf(store: Store, id: number): string {
  const row = store.byId.get(id);
  return row ? modelLabel(row) : idLabel(id);
}
