/** An accessible tab strip (role=tablist; ←/→/Home/End move between tabs); panels are built lazily. */
import { h } from './dom';

export interface TabDef<T extends string> {
  id: T;
  label: string;
  build: () => HTMLElement;
}

export interface Tabs<T extends string> {
  el: HTMLElement;
  show(id: T): void;
  current(): T;
}

export function tabStrip<T extends string>(name: string, defs: readonly TabDef<T>[], initial: T, onChange: (id: T) => void): Tabs<T> {
  const list = h('div', { class: 'tablist', role: 'tablist', 'aria-label': name });
  const panels = h('div', { class: 'tabpanels' });
  const built = new Map<T, HTMLElement>();
  const buttons = new Map<T, HTMLButtonElement>();
  let current = initial;
  const show = (id: T, focus = false): void => {
    current = id;
    for (const d of defs) {
      const b = buttons.get(d.id) as HTMLButtonElement;
      const on = d.id === id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
      let panel = built.get(d.id);
      if (on && !panel) {
        panel = h('div', { class: 'tabpanel', role: 'tabpanel', id: `tab-${name}-${d.id}`, 'aria-labelledby': `tabbtn-${name}-${d.id}`, 'data-tab': d.id }, d.build());
        built.set(d.id, panel);
        panels.appendChild(panel);
      }
      if (panel) panel.hidden = !on;
    }
    onChange(id);
  };
  defs.forEach((d, i) => {
    const b = h('button', { type: 'button', role: 'tab', id: `tabbtn-${name}-${d.id}`, 'aria-controls': `tab-${name}-${d.id}`, 'data-tab': d.id, text: d.label });
    b.addEventListener('click', () => show(d.id));
    b.addEventListener('keydown', (e) => {
      const n = defs.length;
      const to = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
      if (to < 0) return;
      e.preventDefault();
      show((defs[to] as TabDef<T>).id, true);
    });
    buttons.set(d.id, b);
    list.appendChild(b);
  });
  show(initial);
  return { el: h('div', { class: 'tabs' }, list, panels), show: (id) => show(id), current: () => current };
}
