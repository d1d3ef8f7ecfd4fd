/**
 * The model drawer (B): the user's shortlist, one row per model with its glyph, validation
 * accuracy and parameter count; sortable; hover links to the maps, click inspects, Ctrl/⌘-
 * click or the checkbox selects; select two → diff; export; remove. Keyboard: ↑/↓ between
 * rows, Enter inspects, Space selects, Delete removes.
 */
import { DEFAULT_MODEL_ORDER, compareModels, modelLabel } from '../../protocol/models';
import type { ModelRow } from '../../protocol/remap';
import { button, h, replaceChildren } from './dom';
import { formatAcc, formatParams } from './format';
import { glyphLegend, rowGlyph } from './glyph';
import type { SortKey } from './state';
import type { Store } from './store';

/** The drawer's rows in the side-bar drawer's order (one comparison: protocol/models.ts). */
export function sortRows(rows: ModelRow[], key: SortKey, dir: 1 | -1): ModelRow[] {
  return [...rows].sort((a, b) => compareModels({ key, dir }, a, b));
}

export function drawerView(store: Store): HTMLElement {
  let sort: { key: SortKey; dir: 1 | -1 } = store.state.sort ?? DEFAULT_MODEL_ORDER;
  const body = h('tbody');
  const count = h('span', { class: 'drawer-count' });
  const diffBtn = button('Diff', () => {
    const [a, b] = selected();
    if (a !== undefined && b !== undefined) store.openDiff(a, b);
  }, { title: 'Compare the two selected models', 'data-action': 'diff' });
  const exportBtn = button('Export', () => {
    const id = exportTarget();
    if (id !== null) store.host.command({ name: 'exportModel', modelId: id });
  }, { title: 'Write the selected (or inspected) model as a PyTorch file', 'data-action': 'export' });
  const clearBtn = button('Clear', () => store.removeFromDrawer([...store.drawer]), { title: 'Empty the drawer' });
  const selected = (): number[] => store.drawer.filter((id) => store.selection.has(id));
  const exportTarget = (): number | null => {
    const sel = selected();
    if (sel.length === 1) return sel[0] as number;
    return store.inspected;
  };

  const header = (key: SortKey, label: string): HTMLElement => {
    const active = sort.key === key;
    const th = h('th', { 'aria-sort': active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none' },
      button(`${label}${active ? (sort.dir === 1 ? ' ↑' : ' ↓') : ''}`, () => {
        sort = { key, dir: sort.key === key ? (sort.dir === 1 ? -1 : 1) : key === 'name' ? 1 : -1 };
        store.save({ sort });
        render();
        head.replaceChildren(headRow());
      }, { class: 'sort', 'data-sort': key }));
    return th;
  };
  const headRow = (): HTMLElement => h('tr', {}, h('th', { class: 'sr-only', text: 'Select' }), h('th', { text: 'Model' }),
    header('name', 'Name'), header('valAcc', 'Val acc'), header('params', 'Params'), h('th', { class: 'sr-only', text: 'Remove' }));
  const head = h('thead', {}, headRow());

  const render = (): void => {
    const rows = store.drawer.map((id) => store.byId.get(id)).filter((m): m is ModelRow => m !== undefined);
    const sorted = sortRows(rows, sort.key, sort.dir);
    replaceChildren(body, ...sorted.map((m) => row(m)));
    if (!sorted.length) body.appendChild(h('tr', {}, h('td', { colspan: 6, class: 'empty', text: 'Brush models on the map or double-click one to add it here.' })));
    const sel = selected();
    count.textContent = `${rows.length} model${rows.length === 1 ? '' : 's'}${sel.length ? `, ${sel.length} selected` : ''}`;
    diffBtn.disabled = sel.length !== 2;
    exportBtn.disabled = store.host.readOnly || exportTarget() === null;
    clearBtn.disabled = !rows.length;
  };

  const row = (m: ModelRow): HTMLElement => {
    const isSel = store.selection.has(m.id);
    const check = h('input', { type: 'checkbox', 'aria-label': `Select ${modelLabel(m)}`, tabindex: -1 });
    check.checked = isSel;
    check.addEventListener('click', (e) => {
      e.stopPropagation();
      store.select([m.id], 'toggle');
    });
    const tr = h('tr', {
      class: `drawer-row${isSel ? ' selected' : ''}${store.inspected === m.id ? ' inspected' : ''}${store.hovered === m.id ? ' hovered' : ''}`,
      tabindex: 0, 'data-model': m.id, 'aria-selected': isSel ? 'true' : 'false',
    },
    h('td', {}, check),
    h('td', { class: 'glyph-cell' }, rowGlyph(document, m, store.inputShape())),
    h('td', { class: 'name', text: modelLabel(m), title: `${m.origin} · ${m.state}` }),
    h('td', { class: 'num', text: formatAcc(m.valAcc) }),
    h('td', { class: 'num', text: formatParams(m.params) }),
    h('td', {}, button('✕', (e) => {
      e.stopPropagation();
      store.removeFromDrawer([m.id]);
    }, { class: 'icon', title: `Remove ${modelLabel(m)} from the drawer`, 'aria-label': `Remove ${modelLabel(m)}`, tabindex: -1 })));
    tr.addEventListener('mouseenter', () => store.setHover(m.id, 'drawer'));
    tr.addEventListener('mouseleave', () => {
      if (store.hoverSource === 'drawer') store.setHover(null);
    });
    tr.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey) store.select([m.id], 'toggle');
      else store.inspect(m.id);
    });
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
        next?.focus();
        const id = Number(next?.dataset.model);
        if (Number.isFinite(id)) store.setHover(id, 'drawer');
      } else if (e.key === 'Enter') store.inspect(m.id);
      else if (e.key === ' ') {
        e.preventDefault();
        store.select([m.id], 'toggle');
      } else if (e.key === 'Delete' || e.key === 'Backspace') store.removeFromDrawer([m.id]);
      else if (e.key === 'Escape') store.select([]);
    });
    return tr;
  };

  // Re-render keeping keyboard focus on the same model row.
  const rerender = (): void => {
    const focused = (document.activeElement as HTMLElement | null)?.closest?.('tr.drawer-row') as HTMLElement | null;
    const id = focused && body.contains(focused) ? focused.dataset.model : undefined;
    render();
    if (id) (body.querySelector(`tr[data-model="${id}"]`) as HTMLElement | null)?.focus();
  };
  // Selection, inspection and hover only restyle the rows (no rebuild on every mouse move).
  const restyle = (): void => {
    for (const tr of body.querySelectorAll<HTMLElement>('tr.drawer-row')) {
      const id = Number(tr.dataset.model);
      const isSel = store.selection.has(id);
      tr.classList.toggle('selected', isSel);
      tr.classList.toggle('inspected', store.inspected === id);
      tr.classList.toggle('hovered', store.hovered === id);
      tr.setAttribute('aria-selected', isSel ? 'true' : 'false');
      const check = tr.querySelector('input');
      if (check) check.checked = isSel;
    }
    const sel = selected();
    count.textContent = `${store.drawer.length} model${store.drawer.length === 1 ? '' : 's'}${sel.length ? `, ${sel.length} selected` : ''}`;
    diffBtn.disabled = sel.length !== 2;
    exportBtn.disabled = store.host.readOnly || exportTarget() === null;
  };
  store.on(['drawer', 'models'], rerender);
  store.on(['selection', 'inspect', 'hover'], restyle);
  render();
  return h('section', { class: 'drawer', 'aria-label': 'Model drawer' },
    h('header', { class: 'section-header' }, h('h2', { text: 'Model drawer' }), count,
      h('span', { class: 'toolbar' }, diffBtn, exportBtn, clearBtn)),
    glyphLegend(document),
    h('div', { class: 'table-scroll' }, h('table', { class: 'drawer-table' }, head, body)));
}
