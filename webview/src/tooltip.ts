/** The model tooltip of the map: its glyph and metrics (and per-class accuracy when a class is active). */
import { modelLabel } from '../../protocol/models';
import type { ModelRow } from '../../protocol/remap';
import { h } from './dom';
import { formatAcc, formatDuration, formatParams } from './format';
import { rowGlyph } from './glyph';
import type { Store } from './store';

export function modelTooltip(store: Store, m: ModelRow): HTMLElement {
  const cls = store.activeClass;
  const rows: [string, string][] = [
    ['Val acc', formatAcc(m.valAcc)],
    ['Train acc', formatAcc(m.trainAcc)],
    ['Params', formatParams(m.params)],
    ['Epochs', m.epochs === null ? '—' : String(m.epochs)],
  ];
  if (cls !== null) {
    const pc = store.perClass.get(m.id);
    const name = store.classNames()[cls] ?? `class ${cls}`;
    rows.splice(1, 0, [`Acc on ${name}`, pc ? formatAcc(pc[cls] ?? null) : m.state === 'trained' ? '…' : '—']);
  }
  if (m.seconds !== null) rows.push(['Trained in', formatDuration(m.seconds)]);
  return h(
    'div',
    { class: 'tooltip-body' },
    h('div', { class: 'tooltip-title' }, h('strong', { text: modelLabel(m) }), ` · ${m.origin}`, m.state === 'trained' ? '' : ` · ${m.state}`),
    rowGlyph(document, m, store.inputShape(), 'medium'),
    h('table', { class: 'metrics' }, ...rows.map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: v })))),
  );
}
