/**
 * The panel's shared state and data: models, maps, details cache, per-class accuracy,
 * data set, queue, drawer, selection, hover, inspected model, class and filters. Views
 * subscribe to topics; emits are coalesced per microtask. Server notifications are folded
 * in here (coalesced refetches). Persistent fields are saved through the host, debounced.
 */
import type {
  DatasetSummary, EpochMetrics, MapResult, ModelDetails, ModelRow, PanelContext, QueueState, Status, View,
} from '../../protocol/remap';
import { coalesce } from './dom';
import type { Range } from './histogram';
import { inRange } from './histogram';
import type { Host, HostNotification } from './host';
import type { PanelState } from './state';
import { parseState, serialiseState } from './state';

export type Topic =
  | 'models' | 'maps' | 'drawer' | 'hover' | 'selection' | 'inspect' | 'class' | 'filters'
  | 'queue' | 'dataset' | 'details' | 'epoch' | 'status' | 'message' | 'perClass' | 'context' | 'reveal';

export const VIEWS: readonly View[] = ['architecture', 'prediction', 'accuracy'];
const DETAILS_CACHE = 300;

export class Store {
  status: Status | null = null;
  models: ModelRow[] = [];
  byId = new Map<number, ModelRow>();
  maps = new Map<View, MapResult>();
  mapErrors = new Map<View, string>();
  dataset: DatasetSummary | null = null;
  datasetError: string | null = null;
  queue: QueueState | null = null;
  context: PanelContext;
  drawer: number[] = [];
  selection = new Set<number>();
  hovered: number | null = null;
  /** Which view set the hover (its pane shows the tooltip). */
  hoverSource: string | null = null;
  inspected: number | null = null;
  selectedClass: number | null = null;
  hoverClass: number | null = null;
  filters: { acc: Range | null; params: Range | null } = { acc: null, params: null };
  /** Live per-epoch metrics by model id (remap/epoch). */
  live = new Map<number, EpochMetrics[]>();
  perClass = new Map<number, number[]>();
  message: { text: string; error: boolean } | null = null;
  readonly state: PanelState;

  private readonly details = new Map<number, ModelDetails>();
  private readonly inflight = new Map<number, Promise<ModelDetails>>();
  private readonly listeners = new Map<Topic, Set<() => void>>();
  private readonly dirty = new Set<Topic>();
  private flushQueued = false;
  private perClassRunning = false;
  private perClassAgain = false;
  readonly saveSoon: () => void;
  readonly refreshSoon: () => void;
  readonly queueSoon: () => void;
  readonly perClassSoon: () => void;

  constructor(readonly host: Host, context: PanelContext) {
    this.context = context;
    this.state = parseState(host.getState()) ?? { v: 1, panel: context.panel };
    this.state.panel = context.panel;
    this.saveSoon = coalesce(() => host.setState(serialiseState(this.state)), 150);
    // A reload within the debounce window must not lose the last change.
    window.addEventListener('pagehide', () => host.setState(serialiseState(this.state)));
    this.refreshSoon = coalesce(() => void this.refreshModels(), 250);
    this.queueSoon = coalesce(() => void this.loadQueue(), 250);
    this.perClassSoon = coalesce(() => this.emit('perClass'), 250);
    const s = this.state;
    this.selection = new Set(s.selection ?? []);
    this.selectedClass = s.selectedClass ?? null;
    if (s.filters) this.filters = { ...s.filters };
    this.inspected = context.focusModel ?? s.focusModel ?? null;
    this.drawer = context.drawer.length || !s.drawer ? [...context.drawer] : [...s.drawer];
    host.onNotification((n) => this.notify(n));
  }

  on(topic: Topic | Topic[], cb: () => void): () => void {
    const topics = Array.isArray(topic) ? topic : [topic];
    for (const t of topics) {
      let set = this.listeners.get(t);
      if (!set) this.listeners.set(t, (set = new Set()));
      set.add(cb);
    }
    return () => topics.forEach((t) => this.listeners.get(t)?.delete(cb));
  }

  emit(...topics: Topic[]): void {
    topics.forEach((t) => this.dirty.add(t));
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const called = new Set<() => void>();
      const topicsNow = [...this.dirty];
      this.dirty.clear();
      for (const t of topicsNow) {
        for (const cb of this.listeners.get(t) ?? []) {
          if (called.has(cb)) continue;
          called.add(cb);
          try {
            cb();
          } catch (err) {
            console.error('REMAP view update failed', err);
          }
        }
      }
    });
  }

  save(patch: Partial<PanelState>): void {
    Object.assign(this.state, patch);
    this.saveSoon();
  }

  say(text: string, error = false): void {
    this.message = { text, error };
    this.emit('message');
  }

  fail(what: string, err: unknown): void {
    this.say(`${what}: ${err instanceof Error ? err.message : String(err)}`, true);
  }

  // ---- context -------------------------------------------------------------------------
  applyContext(c: PanelContext): void {
    const prev = this.context;
    this.context = c;
    this.drawer = [...c.drawer];
    this.save({ drawer: this.drawer });
    this.emit('drawer', 'context');
    if (c.focusModel !== undefined && c.focusModel !== prev.focusModel) {
      this.inspect(c.focusModel);
      this.emit('reveal'); // e.g. "show on map" from a code lens: bring it into view
    }
  }

  // ---- loading -------------------------------------------------------------------------
  async loadStatus(): Promise<void> {
    try {
      this.status = await this.host.request('remap/status', {});
      this.emit('status');
    } catch (err) {
      this.fail('status', err);
    }
  }

  async refreshModels(): Promise<void> {
    try {
      const { models } = await this.host.request('remap/listModels', {});
      this.setModels(models);
    } catch (err) {
      this.fail('listing models', err);
    }
    await Promise.all(VIEWS.map((v) => this.loadMap(v)));
  }

  setModels(models: ModelRow[]): void {
    this.models = models;
    this.byId = new Map(models.map((m) => [m.id, m]));
    this.emit('models');
  }

  /** Show ``view`` with another projection (a choice on the map, kept with the panel). */
  setProjection(view: View, method: NonNullable<PanelState['projection']>[View]): void {
    this.save({ projection: { ...this.state.projection, [view]: method } });
    void this.loadMap(view);
  }

  /** Measure the prediction map by another distance (a choice on the map). */
  setPredictionDistance(distance: NonNullable<PanelState['predictionDistance']>): void {
    this.save({ predictionDistance: distance });
    void this.loadMap('prediction');
  }

  async loadMap(view: View): Promise<void> {
    const method = view === 'accuracy' ? undefined : this.state.projection?.[view];
    const distance = view === 'prediction' ? this.state.predictionDistance : undefined;
    try {
      this.maps.set(view, await this.host.request('remap/getMap', { view, ...(method ? { method } : {}), ...(distance ? { distance } : {}) }));
      this.mapErrors.delete(view);
    } catch (err) {
      this.mapErrors.set(view, err instanceof Error ? err.message : String(err));
    }
    this.emit('maps');
  }

  async loadDataset(): Promise<void> {
    if (this.dataset) return;
    try {
      this.dataset = await this.host.request('remap/dataset', { perClass: 4 });
      this.datasetError = null;
    } catch (err) {
      this.datasetError = err instanceof Error ? err.message : String(err);
    }
    this.emit('dataset');
  }

  async loadQueue(): Promise<void> {
    try {
      this.queue = await this.host.request('remap/queue', { action: 'list' });
      this.emit('queue');
    } catch (err) {
      this.fail('queue', err);
    }
  }

  cachedDetails(id: number): ModelDetails | undefined {
    return this.details.get(id);
  }

  /** Model details, cached (and de-duplicated while in flight). */
  getDetails(id: number): Promise<ModelDetails> {
    const hit = this.details.get(id);
    if (hit) return Promise.resolve(hit);
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.host.request('remap/getModel', { modelId: id }).then(
      (d) => {
        this.inflight.delete(id);
        if (this.details.size >= DETAILS_CACHE) {
          const oldest = this.details.keys().next().value;
          if (oldest !== undefined && oldest !== this.inspected) this.details.delete(oldest);
        }
        this.details.set(id, d);
        if (d.run) this.perClass.set(id, d.run.perClassAcc);
        this.emit('details');
        return d;
      },
      (err: unknown) => {
        this.inflight.delete(id);
        throw err;
      },
    );
    this.inflight.set(id, p);
    return p;
  }

  // ---- notifications ---------------------------------------------------------------------
  private notify(n: HostNotification): void {
    if (n.method === 'remap/modelsChanged') {
      for (const id of [...n.params.updated, ...n.params.added]) {
        this.details.delete(id);
        this.perClass.delete(id);
      }
      this.refreshSoon();
      if (this.inspected !== null && n.params.updated.includes(this.inspected)) {
        void this.getDetails(this.inspected).catch(() => undefined);
      }
    } else if (n.method === 'remap/queueChanged') {
      this.mergeQueue(n.params);
      this.queueSoon();
    } else if (n.method === 'remap/epoch') {
      const list = this.live.get(n.params.modelId) ?? [];
      const i = list.findIndex((e) => e.epoch === n.params.epoch.epoch);
      if (i >= 0) list[i] = n.params.epoch;
      else list.push(n.params.epoch);
      list.sort((a, b) => a.epoch - b.epoch);
      this.live.set(n.params.modelId, list);
      this.emit('epoch');
    } else if (n.method === 'remap/warmup') {
      if (this.status) this.status = { ...this.status, warmup: n.params };
      this.emit('status');
      // Maps drawn with MDS while UMAP was compiling: the server now re-fits them with UMAP.
      if (n.params.umap === 'ready') {
        const stale = VIEWS.filter((v) => this.maps.get(v)?.method === 'mds' && this.maps.get(v)?.note);
        void Promise.all(stale.map((v) => this.loadMap(v)));
      }
    }
  }

  private mergeQueue(active: QueueState): void {
    const jobs = new Map((this.queue?.jobs ?? []).map((j) => [j.id, j]));
    for (const j of active.jobs) jobs.set(j.id, j);
    this.queue = { summary: active.summary, jobs: [...jobs.values()] };
    this.emit('queue');
  }

  /** Set by a panel that shows diffs in-page (the report); otherwise the extension opens one. */
  diffHandler: ((a: number, b: number) => void) | null = null;

  openDiff(a: number, b: number): void {
    if (this.diffHandler) this.diffHandler(a, b);
    else this.host.command({ name: 'openDiff', a, b });
  }

  // ---- interaction -----------------------------------------------------------------------
  setHover(id: number | null, source: string | null = null): void {
    if (id === this.hovered && source === this.hoverSource) return;
    this.hovered = id;
    this.hoverSource = source;
    this.emit('hover');
  }

  /** mode: 'replace' the selection, 'toggle' ids, or 'add' them. */
  select(ids: number[], mode: 'replace' | 'toggle' | 'add' = 'replace'): void {
    if (mode === 'replace') this.selection = new Set(ids);
    else for (const id of ids) {
      if (mode === 'toggle' && this.selection.has(id)) this.selection.delete(id);
      else this.selection.add(id);
    }
    this.save({ selection: [...this.selection] });
    this.emit('selection');
  }

  inspect(id: number | null): void {
    this.inspected = id;
    this.save({ focusModel: id ?? undefined });
    this.emit('inspect');
    if (id !== null) void this.getDetails(id).catch((err: unknown) => this.fail(`model ${id}`, err));
  }

  addToDrawer(ids: number[]): void {
    const fresh = ids.filter((id) => !this.drawer.includes(id));
    if (!fresh.length) return;
    this.drawer = [...this.drawer, ...fresh];
    this.save({ drawer: this.drawer });
    this.emit('drawer');
    this.host.command({ name: 'addToDrawer', modelIds: fresh });
  }

  removeFromDrawer(ids: number[]): void {
    this.drawer = this.drawer.filter((id) => !ids.includes(id));
    ids.forEach((id) => this.selection.delete(id));
    this.save({ drawer: this.drawer, selection: [...this.selection] });
    this.emit('drawer', 'selection');
    this.host.command({ name: 'removeFromDrawer', modelIds: ids });
  }

  /** The class the map is coloured by: the hovered card, else the selected one. */
  get activeClass(): number | null {
    return this.hoverClass ?? this.selectedClass;
  }

  setClass(selected: number | null, hover: number | null = this.hoverClass): void {
    this.selectedClass = selected;
    this.hoverClass = hover;
    this.save({ selectedClass: selected });
    this.emit('class');
    if (this.activeClass !== null) void this.loadPerClass();
  }

  setHoverClass(cls: number | null): void {
    if (cls === this.hoverClass) return;
    this.hoverClass = cls;
    this.emit('class');
    if (cls !== null) void this.loadPerClass();
  }

  setFilters(f: { acc: Range | null; params: Range | null }): void {
    this.filters = f;
    this.save({ filters: f });
    this.emit('filters');
  }

  /** True when the model passes the accuracy and parameter filters. */
  passes(m: ModelRow): boolean {
    return inRange(m.valAcc, this.filters.acc) && inRange(Math.log10(Math.max(1, m.params)), this.filters.params);
  }

  /** The value a model is coloured by (accuracy, or accuracy on the active class). */
  colourValue(m: ModelRow): number | null {
    const cls = this.activeClass;
    if (cls === null) return m.valAcc;
    const pc = this.perClass.get(m.id);
    return pc ? (pc[cls] ?? null) : null;
  }

  /** Fetch per-class accuracy of every trained model in one request (remap/perClassAccuracy);
   * a call while one is in flight runs once more afterwards (models may have finished since). */
  async loadPerClass(): Promise<void> {
    if (this.perClassRunning) {
      this.perClassAgain = true;
      return;
    }
    if (!this.models.some((m) => m.state === 'trained' && !this.perClass.has(m.id))) return;
    this.perClassRunning = true;
    try {
      const r = await this.host.request('remap/perClassAccuracy', {});
      const got = new Map(r.ids.map((id, i) => [id, r.perClassAcc[i] ?? []]));
      for (const m of this.models) {
        if (m.state === 'trained' && !this.perClass.has(m.id)) this.perClass.set(m.id, got.get(m.id) ?? []);
      }
      this.perClassSoon();
    } catch (err) {
      this.fail('per-class accuracy', err);
    } finally {
      this.perClassRunning = false;
    }
    if (this.perClassAgain) {
      this.perClassAgain = false;
      await this.loadPerClass();
    }
  }

  perClassProgress(): { done: number; total: number } {
    const trained = this.models.filter((m) => m.state === 'trained');
    return { done: trained.filter((m) => this.perClass.has(m.id)).length, total: trained.length };
  }

  inputShape(): number[] | null {
    return this.status?.dataset?.inputShape ?? this.dataset?.inputShape ?? null;
  }

  classNames(): string[] {
    return this.status?.dataset?.classes ?? this.dataset?.classes.map((c) => c.name) ?? [];
  }
}
