/** The single-purpose panels: 'builder' (inspector + generate for one model), 'queue' and 'diff'. */
import { messageLine, statusLine } from './chrome';
import { diffView } from './diff';
import { h } from './dom';
import { generateView } from './generate';
import { inspectorView } from './inspector';
import { queueView } from './queue';
import type { Store } from './store';
import { tabStrip } from './tabs';
import type { Palette } from './theme';
import { onThemeChange, readPalette } from './theme';

function themed(store: Store): () => Palette {
  let palette = readPalette();
  onThemeChange(() => {
    palette = readPalette();
    store.emit('models');
  });
  return () => palette;
}

export function renderBuilderPanel(store: Store, root: HTMLElement): void {
  const pal = themed(store);
  const model = (): number | null => store.context.focusModel ?? store.inspected;
  if (store.inspected === null && model() !== null) store.inspect(model());
  let tabs: ReturnType<typeof tabStrip<'generate' | 'inspector'>> | null = null;
  tabs = tabStrip<'generate' | 'inspector'>('builder', [
    { id: 'generate', label: 'Generate models', build: () => generateView(store, pal, model) },
    { id: 'inspector', label: 'Model inspector', build: () => inspectorView(store, pal, () => tabs?.show('generate')) },
  ], 'generate', () => undefined);
  store.on('context', () => {
    const id = store.context.focusModel;
    if (id !== undefined && id !== store.inspected) store.inspect(id);
  });
  root.classList.add('panel-builder');
  root.replaceChildren(h('header', { class: 'topbar' }, h('h1', { text: 'REMAP builder' }), statusLine(store)), messageLine(store), tabs.el);
  root.dataset.ready = 'true';
}

export function renderQueuePanel(store: Store, root: HTMLElement): void {
  const pal = themed(store);
  root.classList.add('panel-queue');
  root.replaceChildren(h('header', { class: 'topbar' }, h('h1', { text: 'REMAP queue' }), statusLine(store)), messageLine(store), queueView(store, pal));
  root.dataset.ready = 'true';
}

export function renderDiffPanel(store: Store, root: HTMLElement): void {
  root.classList.add('panel-diff');
  const pair = (): { a: number; b: number } | null => store.context.diff ?? store.state.diff ?? null;
  store.on('context', () => {
    const d = store.context.diff;
    if (d) store.save({ diff: d });
  });
  if (store.context.diff) store.save({ diff: store.context.diff });
  root.replaceChildren(h('header', { class: 'topbar' }, h('h1', { text: 'REMAP diff' }), statusLine(store)), messageLine(store), diffView(store, pair));
  root.dataset.ready = 'true';
}
