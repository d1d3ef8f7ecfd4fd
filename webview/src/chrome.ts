/** Shared panel chrome: the status line (workspace, data set, device, models, warm-up) and the message line. */
import { button, h } from './dom';
import type { Store } from './store';

export function statusLine(store: Store): HTMLElement {
  const el = h('div', { class: 'status-line', 'aria-live': 'polite' });
  const render = (): void => {
    const s = store.status;
    const bits: string[] = [];
    if (store.host.kind === 'report') bits.push('Static report (read-only)');
    if (s) {
      if (s.dataset) bits.push(`${s.dataset.name}: ${s.dataset.classes.length} classes, ${s.dataset.inputShape.join('×')}`);
      else if (s.datasetError) bits.push(`data set: ${s.datasetError}`);
      bits.push(s.device);
    }
    bits.push(`${store.models.length} models`);
    const trained = store.models.filter((m) => m.state === 'trained').length;
    if (trained !== store.models.length) bits.push(`${trained} trained`);
    if (s && s.warmup.umap !== 'ready' && s.settings.projection === 'umap') bits.push(`UMAP ${s.warmup.umap}`);
    el.textContent = bits.join(' · ');
    el.title = s ? `${s.workspace} (REMAP ${s.version})` : '';
  };
  store.on(['status', 'models'], render);
  render();
  return el;
}

export function messageLine(store: Store): HTMLElement {
  const text = h('span', { class: 'message-text' });
  const el = h('div', { class: 'message-line', role: 'status', 'aria-live': 'polite', hidden: true }, text,
    button('×', () => {
      el.hidden = true;
    }, { class: 'icon', 'aria-label': 'Dismiss message' }));
  let timer: ReturnType<typeof setTimeout> | null = null;
  store.on('message', () => {
    const m = store.message;
    if (!m) return;
    text.textContent = m.text;
    el.classList.toggle('error', m.error);
    el.hidden = false;
    if (timer) clearTimeout(timer);
    if (!m.error) timer = setTimeout(() => (el.hidden = true), 6000);
  });
  return el;
}
