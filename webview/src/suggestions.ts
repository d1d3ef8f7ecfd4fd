/**
 * The map panel's Suggestions tab: the next experiments the server suggests (`remap/suggest`),
 * one compact row each (kind and parent, cost, the reason). Hovering or focusing a row
 * highlights its parent on both maps, clicking it selects the parent there; "Queue" runs it
 * (`remap/applySuggestion`), "Dismiss" hides it for good (`remap/dismissSuggestion`, kept in the
 * store). The list is fetched again whenever the models change (runs finish, children appear).
 */
import { idLabel } from '../../protocol/models';
import type { Suggestion } from '../../protocol/remap';
import { button, coalesce, h, replaceChildren } from './dom';
import { formatDuration, formatParams } from './format';
import type { Store } from './store';

export const SUGGESTION_COUNT = 8;
const HOVER_SOURCE = 'suggestions';

/** "ablate model 3" / "sample a new model": what a suggestion does, to what. */
export function suggestionTitle(s: Suggestion): string {
  return `${s.kind} ${s.parent === null ? 'a new model' : `model ${idLabel(s.parent)}`}`;
}

function costText(s: Suggestion): string {
  const parts = [];
  if (s.cost.params !== null) parts.push(`${formatParams(s.cost.params)} params`);
  parts.push(`${s.cost.epochs} epoch${s.cost.epochs === 1 ? '' : 's'}`);
  if (s.cost.seconds !== null) parts.push(`≈${formatDuration(s.cost.seconds)}`);
  return parts.join(' · ');
}

export function suggestionsView(store: Store): HTMLElement {
  const list = h('ul', { class: 'suggestion-list', 'aria-label': 'Suggested experiments' });
  const summary = h('span', { class: 'suggestion-summary', 'aria-live': 'polite', text: 'loading…' });
  let items: Suggestion[] = [];
  let selected: string | null = null;
  let generation = 0;

  const highlight = (s: Suggestion | null): void => {
    if (s && s.parent !== null) store.setHover(s.parent, HOVER_SOURCE);
    else if (store.hoverSource === HOVER_SOURCE) store.setHover(null);
  };

  const load = async (): Promise<void> => {
    const mine = ++generation;
    try {
      const found = (await store.host.request('remap/suggest', { n: SUGGESTION_COUNT })).suggestions;
      if (mine !== generation) return; // a newer load is on its way
      items = found;
      summary.textContent = items.length ? `${items.length} suggested` : 'Nothing to suggest yet: train some models first.';
    } catch (err: unknown) {
      if (mine !== generation) return;
      items = [];
      summary.textContent = `Suggestions unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (selected !== null && !items.some((s) => s.key === selected)) selected = null;
    render();
  };
  const refresh = coalesce(() => void load(), 300);

  const act = async (what: string, run: () => Promise<string>): Promise<void> => {
    try {
      store.say(await run());
    } catch (err: unknown) {
      store.fail(what, err);
    }
    await load();
  };
  const queue = (s: Suggestion): Promise<void> => act(`Queue ${suggestionTitle(s)}`, async () => {
    const r = await store.host.request('remap/applySuggestion', { kind: s.kind, parent: s.parent, changes: s.changes });
    return r.created.length ? `Queued model ${r.created.map(idLabel).join(', ')} (${suggestionTitle(s)})` : `Nothing new to train${r.skipped.length ? `: ${r.skipped[0]}` : ''}`;
  });
  const dismiss = (s: Suggestion): Promise<void> => act(`Dismiss ${suggestionTitle(s)}`, async () => {
    await store.host.request('remap/dismissSuggestion', { key: s.key });
    items = items.filter((x) => x.key !== s.key);
    render();
    return `Dismissed: ${suggestionTitle(s)}`;
  });

  const row = (s: Suggestion): HTMLElement => {
    const readOnly = store.host.readOnly;
    const li = h('li', {
      class: `suggestion suggestion-${s.kind}`, tabindex: 0, 'data-key': s.key, 'data-kind': s.kind,
      'data-parent': s.parent === null ? '' : String(s.parent), 'aria-selected': String(selected === s.key),
      title: s.preview.join('\n'),
    },
    h('span', { class: 'suggestion-head' },
      h('span', { class: 'suggestion-title', text: suggestionTitle(s) }),
      h('span', { class: 'suggestion-cost', text: costText(s) }),
      h('span', { class: 'suggestion-actions' },
        button('Queue', (e) => {
          e.stopPropagation();
          void queue(s);
        }, { 'data-action': 'queue-suggestion', title: 'Queue this experiment for training', disabled: readOnly }),
        button('Dismiss', (e) => {
          e.stopPropagation();
          void dismiss(s);
        }, { 'data-action': 'dismiss-suggestion', title: 'Hide this suggestion from now on', disabled: readOnly }))),
    h('span', { class: 'suggestion-reason', text: s.reason }));
    li.addEventListener('mouseenter', () => highlight(s));
    li.addEventListener('mouseleave', () => highlight(null));
    li.addEventListener('focusin', () => highlight(s));
    li.addEventListener('focusout', () => highlight(null));
    li.addEventListener('click', () => {
      selected = s.key;
      if (s.parent !== null) store.select([s.parent]);
      list.querySelectorAll('li.suggestion').forEach((el) => el.setAttribute('aria-selected', String(el === li)));
    });
    li.addEventListener('keydown', (e) => {
      if (e.target !== li) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        li.click();
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling;
        if (next instanceof HTMLElement) next.focus();
      }
    });
    return li;
  };

  const render = (): void => {
    replaceChildren(list, ...items.map(row));
    list.dataset.count = String(items.length);
  };

  store.on('models', refresh);
  void load();
  const refreshBtn = button('Refresh', () => void load(), { 'data-action': 'refresh-suggestions', title: 'Ask the server again' });
  return h('div', { class: 'suggestions' }, h('div', { class: 'suggestion-bar' }, summary, refreshBtn), list);
}
