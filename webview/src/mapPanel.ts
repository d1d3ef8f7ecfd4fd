/**
 * The 'map' panel: two map panes side by side (architecture and prediction by default;
 * each can show any view) with linked hover and selection, filters, legend, the drawer and
 * the tabs (Data, Inspector, Generate, Queue). Theme changes re-read the palette.
 */
import { messageLine, statusLine } from './chrome';
import { dataSelectorView } from './dataSelector';
import { diffView } from './diff';
import { h } from './dom';
import { drawerView } from './drawer';
import { filterBar } from './filters';
import { generateView } from './generate';
import { inspectorView } from './inspector';
import { mapLayout, mapsHeight } from './layout';
import { MapPane } from './mapPane';
import { queueView } from './queue';
import { suggestionsView } from './suggestions';
import type { PaneState, TabId } from './state';
import type { Store } from './store';
import { tabStrip } from './tabs';
import type { Palette } from './theme';
import { onThemeChange, readPalette } from './theme';

const DEFAULT_PANES: PaneState[] = [
  { view: 'architecture', zoom: null },
  { view: 'prediction', zoom: null },
];

function initialTab(store: Store): TabId {
  const tab = store.state.tab ?? 'inspector';
  return tab === 'suggestions' && store.host.kind !== 'vscode' ? 'inspector' : tab;
}

export function renderMapPanel(store: Store, root: HTMLElement): void {
  let palette: Palette = readPalette();
  const pal = (): Palette => palette;
  let panMode = store.state.panMode ?? false;
  let showEdges = store.state.showEdges ?? true;
  const saved = store.state.panes ?? [];
  const panes: MapPane[] = [];
  const onChange = (): void => store.save({ panes: panes.map((p) => p.state()) });
  ['left', 'right'].forEach((id, i) => {
    const initial = saved[i] ?? (DEFAULT_PANES[i] as PaneState);
    panes.push(new MapPane(store, id, initial, { palette: pal, panMode: () => panMode, showEdges: () => showEdges, onChange }));
  });

  const toggle = (label: string, title: string, get: () => boolean, set: (v: boolean) => void): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: 'toggle-button', title, 'aria-pressed': String(get()), text: label });
    b.addEventListener('click', () => {
      set(!get());
      b.setAttribute('aria-pressed', String(get()));
    });
    return b;
  };
  const panBtn = toggle('✥ Pan', 'Pan mode: dragging pans instead of brushing (or drag with Shift / Alt / the middle button)', () => panMode, (v) => {
    panMode = v;
    store.save({ panMode: v });
    root.classList.toggle('pan-mode', v);
  });
  panBtn.dataset.action = 'pan-mode';
  const lowerBtn = toggle('Details', 'Show the drawer and the inspector / generate / queue tabs under the maps (hide them for larger maps)',
    () => !(store.state.lowerCollapsed ?? false), (v) => {
      store.save({ lowerCollapsed: !v });
      arrange();
    });
  lowerBtn.dataset.action = 'toggle-details';
  lowerBtn.setAttribute('aria-controls', 'remap-lower');
  const edgeBtn = toggle('Lineage', 'Draw parent → child edges', () => showEdges, (v) => {
    showEdges = v;
    store.save({ showEdges: v });
    panes.forEach((p) => p.requestDraw());
  });
  const legend = h('div', { class: 'legend', 'aria-label': 'Legend' });
  const renderLegend = (): void => {
    const d = panes[0];
    const cls = store.activeClass;
    const name = cls === null ? 'val. accuracy' : `accuracy on ${store.classNames()[cls] ?? `class ${cls}`}`;
    const ramp = h('span', { class: 'ramp', 'aria-hidden': 'true' }, ...palette.ramp.map((c) => {
      const s = h('span');
      s.style.background = c;
      return s;
    }));
    const [lo, hi] = d ? d.colourRange() : [0, 1];
    legend.replaceChildren(h('span', { text: `${name} ${lo.toFixed(2)}` }), ramp, h('span', { text: hi.toFixed(2) }),
      h('span', { class: 'legend-sep', text: '· radius = log params · ○ not trained yet · ◌ failed' }));
  };
  store.on(['class', 'perClass', 'models', 'maps'], () => requestAnimationFrame(renderLegend));

  const diffHost = h('div', { class: 'diff-dialog', role: 'dialog', 'aria-label': 'Architecture diff', hidden: true });
  if (store.host.kind === 'report') {
    let pair: { a: number; b: number } | null = null;
    const view = diffView(store, () => pair);
    const close = h('button', { type: 'button', class: 'icon close', 'aria-label': 'Close the diff', text: '×' });
    close.addEventListener('click', () => (diffHost.hidden = true));
    diffHost.append(close, view);
    diffHost.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') diffHost.hidden = true;
    });
    store.diffHandler = (a, b) => {
      pair = { a, b };
      diffHost.hidden = false;
      store.emit('context');
      close.focus();
    };
  }

  let tabs: ReturnType<typeof tabStrip<TabId>> | null = null;
  const goGenerate = (): void => tabs?.show('generate');
  tabs = tabStrip<TabId>('main', [
    { id: 'data', label: 'Data selector', build: () => dataSelectorView(store) },
    { id: 'inspector', label: 'Model inspector', build: () => inspectorView(store, pal, goGenerate) },
    { id: 'generate', label: 'Generate models', build: () => generateView(store, pal, () => store.inspected) },
    { id: 'queue', label: 'Queue', build: () => queueView(store, pal) },
    // suggestions come from the live server: not in the static report
    ...(store.host.kind === 'vscode' ? [{ id: 'suggestions' as const, label: 'Suggestions', build: () => suggestionsView(store) }] : []),
  ], initialTab(store), (id) => store.save({ tab: id }));
  // Inspecting a model brings the inspector forward unless the user is generating.
  store.on('inspect', () => {
    if (tabs && tabs.current() !== 'generate' && tabs.current() !== 'inspector') tabs.show('inspector');
  });

  // Choosing a tab while the details are hidden shows them again.
  tabs.el.addEventListener('click', (e) => {
    if ((e.target as HTMLElement).closest('[role="tab"]') && store.state.lowerCollapsed) lowerBtn.click();
  });

  const maps = h('div', { class: 'maps' }, ...panes.map((p) => p.el));
  const lower = h('div', { class: 'lower', id: 'remap-lower' }, drawerView(store), tabs.el);
  /** Side by side or stacked maps, and the details area shown or collapsed. */
  const arrange = (): void => {
    const collapsed = store.state.lowerCollapsed ?? false;
    root.classList.toggle('lower-collapsed', collapsed);
    lowerBtn.setAttribute('aria-expanded', String(!collapsed));
    maps.dataset.layout = mapLayout(root.clientWidth - 20, mapsHeight(window.innerHeight, collapsed));
  };
  new ResizeObserver(arrange).observe(root);

  root.classList.add('panel-map');
  root.classList.toggle('pan-mode', panMode);
  root.replaceChildren(
    h('header', { class: 'topbar' }, h('h1', { text: 'REMAP' }), statusLine(store),
      h('span', { class: 'toolbar' }, panBtn, edgeBtn, lowerBtn)),
    messageLine(store),
    maps,
    h('div', { class: 'map-footer' }, filterBar(store, pal), legend),
    lower,
    diffHost);
  arrange();
  renderLegend();
  onThemeChange(() => {
    palette = readPalette();
    panes.forEach((p) => p.draw());
    renderLegend();
    store.emit('filters', 'class');
  });
  root.dataset.ready = 'true';
}

