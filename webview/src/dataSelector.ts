/**
 * The data selector tab: one card per class with example images (base64 PNGs from
 * remap/dataset); hovering a card previews, clicking selects it — the maps are then
 * coloured by each model's accuracy on that class (fetched lazily, cached).
 */
import { h, replaceChildren } from './dom';
import { formatAcc } from './format';
import type { Store } from './store';

export function dataSelectorView(store: Store): HTMLElement {
  const el = h('div', { class: 'data-selector' });
  const progress = h('p', { class: 'hint per-class-progress', 'aria-live': 'polite' });
  const grid = h('div', { class: 'class-grid', role: 'group', 'aria-label': 'Classes' });
  const render = (): void => {
    const ds = store.dataset;
    if (!ds) {
      replaceChildren(el, h('p', { class: store.datasetError ? 'error' : 'hint', text: store.datasetError ? `Data set: ${store.datasetError}` : 'loading the data set…' }));
      return;
    }
    const inspected = store.inspected === null ? undefined : store.perClass.get(store.inspected);
    replaceChildren(grid, ...ds.classes.map((c) => {
      const selected = store.selectedClass === c.index;
      const card = h('button', {
        type: 'button', class: `class-card${selected ? ' selected' : ''}`, 'aria-pressed': String(selected), 'data-class': c.index,
        title: `Colour the maps by accuracy on “${c.name}” (click again to clear)`,
      },
      h('div', { class: 'examples' }, ...c.examples.map((src, i) => h('img', { src: `data:image/png;base64,${src}`, alt: `${c.name} example ${i + 1}`, width: 36, height: 36 }))),
      h('div', { class: 'class-name', text: c.name }),
      h('div', { class: 'muted', text: `${c.train} train · ${c.heldOut} held out` }),
      inspected ? h('div', { class: 'class-acc', text: `inspected: ${formatAcc(inspected[c.index] ?? null)}` }) : null);
      card.addEventListener('click', () => store.setClass(store.selectedClass === c.index ? null : c.index));
      card.addEventListener('mouseenter', () => store.setHoverClass(c.index));
      card.addEventListener('mouseleave', () => store.setHoverClass(null));
      // Keyboard focus previews like hovering; a mouse click's focus does not.
      card.addEventListener('focus', () => {
        if (card.matches(':focus-visible')) store.setHoverClass(c.index);
      });
      card.addEventListener('blur', () => store.setHoverClass(null));
      return card;
    }));
    replaceChildren(el,
      h('header', { class: 'section-header' }, h('h2', { text: `Data: ${ds.name}` }), h('span', { class: 'muted', text: `input ${ds.inputShape.join('×')}, ${ds.classes.length} classes` })),
      h('p', { class: 'hint', text: 'Hover a class to preview, click to colour the maps by accuracy on that class.' }),
      progress, grid);
    renderProgress();
  };
  const renderProgress = (): void => {
    const cls = store.activeClass;
    if (cls === null) {
      progress.textContent = '';
      return;
    }
    const { done, total } = store.perClassProgress();
    const name = store.dataset?.classes[cls]?.name ?? `class ${cls}`;
    progress.textContent = `Colouring by accuracy on “${name}”${done < total ? ` — loaded ${done} of ${total} models` : ''}.`;
  };
  const restyle = (): void => {
    for (const card of grid.querySelectorAll<HTMLElement>('.class-card')) {
      const i = Number(card.dataset.class);
      card.classList.toggle('selected', store.selectedClass === i);
      card.classList.toggle('previewed', store.hoverClass === i);
      card.setAttribute('aria-pressed', String(store.selectedClass === i));
    }
    renderProgress();
  };
  store.on(['dataset', 'inspect'], render);
  store.on('class', restyle);
  store.on('perClass', renderProgress);
  void store.loadDataset();
  render();
  return el;
}
