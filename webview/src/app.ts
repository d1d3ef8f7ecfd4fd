/**
 * Mounts a REMAP panel on a host: waits for the first PanelContext, creates the store,
 * loads the data and renders the panel the context names ('map', 'builder', 'queue',
 * 'diff'); later contexts update the drawer / focus / diff pair in place.
 */
import type { PanelContext } from '../../protocol/remap';
import { renderMapPanel } from './mapPanel';
import { renderBuilderPanel, renderDiffPanel, renderQueuePanel } from './panels';
import { Store } from './store';
import type { Host } from './host';
import { h } from './dom';

const PANELS = {
  map: renderMapPanel,
  builder: renderBuilderPanel,
  queue: renderQueuePanel,
  diff: renderDiffPanel,
} as const;

export function mountApp(host: Host, root: HTMLElement): void {
  const hint = root.dataset.panel;
  root.classList.add('remap-app');
  root.replaceChildren(h('p', { class: 'hint loading', text: `Loading REMAP${hint ? ` ${hint}` : ''}…` }));
  let store: Store | null = null;
  host.onContext((context: PanelContext) => {
    if (store && store.context.panel === context.panel) {
      store.applyContext(context);
      return;
    }
    store = new Store(host, context);
    root.dataset.panel = context.panel;
    const render = PANELS[context.panel] ?? PANELS.map;
    try {
      render(store, root);
    } catch (err) {
      root.replaceChildren(h('p', { class: 'error', text: `REMAP could not draw this panel: ${err instanceof Error ? err.message : String(err)}` }));
      throw err;
    }
    void store.loadStatus();
    void store.refreshModels();
    const restored = store.inspected;
    if (restored !== null) void store.getDetails(restored).catch((err: unknown) => store?.fail(`model ${restored}`, err));
  });
}

/** Show a fatal start-up error in the page (e.g. a broken report). */
export function showFatal(root: HTMLElement, message: string): void {
  root.replaceChildren(h('p', { class: 'error fatal', role: 'alert', text: message }));
}
