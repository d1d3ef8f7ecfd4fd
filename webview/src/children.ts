/**
 * The child-model table of a parent (as under the original's Generate tab): glyph, kind,
 * change list, parameters with Δ vs. the parent, accuracy with Δ vs. the parent, training
 * estimate or time, loss sparkline and state. Rows link to the inspector and the maps.
 */
import type { ModelRow } from '../../protocol/remap';
import { sparkline } from './charts';
import { h } from './dom';
import { formatAcc, formatDeltaAcc, formatDeltaParams, formatDuration, formatParams } from './format';
import { rowGlyph } from './glyph';
import { estimateSeconds, ratesOf } from './queueModel';
import type { Store } from './store';
import type { Palette } from './theme';

export function deltaClass(d: number | null, goodWhenPositive: boolean): string {
  if (d === null || d === 0 || !Number.isFinite(d)) return 'delta';
  return (d > 0) === goodWhenPositive ? 'delta good' : 'delta bad';
}

export function childrenTable(store: Store, parent: ModelRow, palette: Palette, highlight: ReadonlySet<number> = new Set()): HTMLElement {
  const kids = store.models.filter((m) => m.parentId === parent.id).sort((a, b) => b.id - a.id);
  if (!kids.length) return h('p', { class: 'hint', text: 'No child models yet.' });
  const rates = ratesOf(store.models);
  const epochs = parent.epochs ?? store.status?.settings.epochs ?? 10;
  const rows = kids.map((m) => {
    const dParams = m.params - parent.params;
    const dAcc = m.valAcc !== null && parent.valAcc !== null ? m.valAcc - parent.valAcc : null;
    const live = store.live.get(m.id) ?? store.cachedDetails(m.id)?.run?.epochs ?? [];
    const time = m.state === 'trained' ? formatDuration(m.seconds) : `~${formatDuration(estimateSeconds(m.params, epochs, rates))}`;
    const tr = h('tr', { class: `child-row${highlight.has(m.id) ? ' fresh' : ''}`, tabindex: 0, 'data-model': m.id },
      h('td', { class: 'glyph-cell' }, rowGlyph(document, m, store.inputShape())),
      h('td', { text: m.origin }),
      h('td', { class: 'changes' }, ...(m.changes.length ? m.changes.map((c) => h('div', { text: c })) : ['—'])),
      h('td', { class: 'num', text: formatParams(m.params) }),
      h('td', { class: `num ${deltaClass(-dParams, true)}`, text: formatDeltaParams(dParams) }),
      h('td', { class: 'num', text: formatAcc(m.valAcc) }),
      h('td', { class: `num ${deltaClass(dAcc, true)}`, text: formatDeltaAcc(dAcc) }),
      h('td', { class: 'num', text: time }),
      h('td', {}, sparkline(palette, live.map((e) => e.valLoss), 80, 18, m.epochs ?? epochs)),
      h('td', { class: `state state-${m.state}`, text: m.state }));
    tr.addEventListener('click', () => store.inspect(m.id));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') store.inspect(m.id);
    });
    tr.addEventListener('mouseenter', () => store.setHover(m.id, 'children'));
    tr.addEventListener('mouseleave', () => {
      if (store.hoverSource === 'children') store.setHover(null);
    });
    return tr;
  });
  return h('div', { class: 'table-scroll' }, h('table', { class: 'children-table' },
    h('thead', {}, h('tr', {}, ...['Model', 'Type', 'Changes', 'Params', 'Δ', 'Acc', 'Δ', 'Training', 'Loss', 'State'].map((t) => h('th', { text: t })))),
    h('tbody', {}, ...rows)));
}
