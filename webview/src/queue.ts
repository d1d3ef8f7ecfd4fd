/**
 * The training queue: every job with its model, parent, kind, changes, parameters,
 * accuracy, estimated time (similar models' seconds/epoch × epochs), live loss sparkline
 * (remap/epoch) and status; drag queued rows (or Alt+↑/↓) to reorder, cancel queued or
 * running jobs, pause/resume the queue.
 */
import { idLabel, modelLabel } from '../../protocol/models';
import type { Job, QueueParams } from '../../protocol/remap';
import { sparkline } from './charts';
import { button, h, replaceChildren } from './dom';
import { formatAcc, formatDuration, formatParams } from './format';
import { rowGlyph } from './glyph';
import { estimateSeconds, queuedOrder, ratesOf, remainingSeconds, reorderAfterDrop, reorderStep, sortJobs } from './queueModel';
import type { Store } from './store';
import type { Palette } from './theme';

const MAX_FINISHED = 100;

export function queueView(store: Store, palette: () => Palette): HTMLElement {
  const summary = h('span', { class: 'queue-summary', 'aria-live': 'polite' });
  const pauseBtn = button('Pause', () => act(store.queue?.summary.paused ? { action: 'resume' } : { action: 'pause' }), { 'data-action': 'pause' });
  const body = h('tbody');
  const requested = new Set<number>();
  // A re-render during a drag would drop the dragged row: defer it until the drag ends.
  let dragging = false;
  let deferred = false;

  const act = (params: QueueParams): void => {
    store.host.request('remap/queue', params).then(
      (q) => {
        store.queue = q;
        store.emit('queue');
      },
      (err: unknown) => store.fail(`Queue ${params.action}`, err),
    );
  };

  const render = (): void => {
    if (dragging) {
      deferred = true;
      return;
    }
    const q = store.queue;
    if (!q) {
      replaceChildren(body, h('tr', {}, h('td', { colspan: 12, class: 'empty', text: 'loading…' })));
      return;
    }
    const s = q.summary;
    summary.textContent = `${s.running} running · ${s.queued} queued · ${s.done} done · ${s.failed} failed · ${s.cancelled} cancelled${s.paused ? ' · paused' : ''}`;
    pauseBtn.textContent = s.paused ? 'Resume' : 'Pause';
    pauseBtn.disabled = store.host.readOnly;
    const sorted = sortJobs(q.jobs);
    const active = sorted.filter((j) => j.state === 'running' || j.state === 'queued');
    const finished = sorted.filter((j) => j.state !== 'running' && j.state !== 'queued').slice(0, MAX_FINISHED);
    const rates = ratesOf(store.models);
    const order = queuedOrder(q.jobs);
    const now = Date.now() / 1000;
    const missing = finished.slice(0, 20).filter((j) => j.state === 'done' && !store.cachedDetails(j.modelId) && !requested.has(j.modelId));
    if (missing.length) {
      missing.forEach((j) => requested.add(j.modelId));
      void Promise.allSettled(missing.map((j) => store.getDetails(j.modelId))).then(render);
    }
    const rows = [...active, ...finished].map((job) => jobRow(job, rates, order, now));
    replaceChildren(body, ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 12, class: 'empty', text: 'No jobs. Generate or train models to fill the queue.' }))]));
  };

  const jobRow = (job: Job, rates: ReturnType<typeof ratesOf>, order: number[], now: number): HTMLElement => {
    const m = store.byId.get(job.modelId);
    const parent = m?.parentId !== null && m?.parentId !== undefined ? store.byId.get(m.parentId) : undefined;
    const live = store.live.get(job.modelId);
    const epochs = live?.length ? live : (store.cachedDetails(job.modelId)?.run?.epochs ?? []);
    const est = m ? estimateSeconds(m.params, job.epochs, rates) : null;
    const time = job.state === 'queued' ? `~${formatDuration(est)}`
      : job.state === 'running' ? `${formatDuration(remainingSeconds(est, job.startedAt, now))} left`
      : job.startedAt !== null && job.finishedAt !== null ? formatDuration(job.finishedAt - job.startedAt) : '—';
    const queued = job.state === 'queued';
    const cancellable = (queued || job.state === 'running') && !job.cancelRequested && !store.host.readOnly;
    const status = job.state === 'running' ? (job.cancelRequested ? 'cancelling' : `running ${epochs.length}/${job.epochs}`) : job.state;
    const tr = h('tr', {
      class: `job-row job-${job.state}`, 'data-job': job.id, 'data-model': job.modelId, tabindex: 0,
      draggable: queued && !store.host.readOnly ? 'true' : null, title: job.error ?? '',
    },
    h('td', { class: 'handle', 'aria-hidden': 'true', text: queued ? '⋮⋮' : '' }),
    h('td', { class: 'glyph-cell' }, m ? rowGlyph(document, m, store.inputShape()) : null),
    h('td', { class: 'name', text: m ? modelLabel(m) : idLabel(job.modelId) }),
    h('td', { text: parent ? modelLabel(parent) : m && m.parentId !== null ? idLabel(m.parentId) : '—' }),
    h('td', { text: m?.origin ?? '—' }),
    h('td', { class: 'changes', title: m?.changes.join('\n') ?? '' }, m && m.changes.length ? `${m.changes[0] as string}${m.changes.length > 1 ? ` (+${m.changes.length - 1})` : ''}` : '—'),
    h('td', { class: 'num', text: m ? formatParams(m.params) : '—' }),
    h('td', { class: 'num', text: formatAcc(m?.valAcc) }),
    h('td', { class: 'num', text: time }),
    h('td', {}, sparkline(palette(), epochs.map((e) => e.valLoss), 90, 18, job.epochs)),
    h('td', { class: `state state-${job.state}`, text: status }),
    h('td', {}, cancellable ? button('✕', () => act({ action: 'cancel', jobId: job.id }), { class: 'icon', title: `Cancel job ${job.id}`, 'aria-label': `Cancel job ${job.id}`, 'data-action': 'cancel' }) : null));
    tr.addEventListener('click', () => {
      store.inspect(job.modelId);
    });
    tr.addEventListener('keydown', (e) => {
      if (queued && e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        const next = reorderStep(order, job.id, e.key === 'ArrowUp' ? -1 : 1);
        if (next) act({ action: 'reorder', order: next });
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
      } else if (e.key === 'Enter') store.inspect(job.modelId);
      else if (e.key === 'Delete' && cancellable) act({ action: 'cancel', jobId: job.id });
    });
    if (queued) {
      tr.addEventListener('dragstart', (e) => {
        e.dataTransfer?.setData('text/x-remap-job', String(job.id));
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
        tr.classList.add('dragging');
        dragging = true;
      });
      tr.addEventListener('dragend', () => {
        tr.classList.remove('dragging');
        dragging = false;
        if (deferred) {
          deferred = false;
          render();
        }
      });
      tr.addEventListener('dragover', (e) => {
        if (!e.dataTransfer?.types.includes('text/x-remap-job')) return;
        e.preventDefault();
        tr.classList.add('drop-target');
      });
      tr.addEventListener('dragleave', () => tr.classList.remove('drop-target'));
      tr.addEventListener('drop', (e) => {
        tr.classList.remove('drop-target');
        const moved = Number(e.dataTransfer?.getData('text/x-remap-job'));
        const r = tr.getBoundingClientRect();
        const next = reorderAfterDrop(order, moved, job.id, e.clientY > r.top + r.height / 2);
        e.preventDefault();
        if (next) act({ action: 'reorder', order: next });
      });
    }
    return tr;
  };

  store.on(['queue', 'models', 'epoch'], render);
  void store.loadQueue();
  render();
  return h('section', { class: 'queue', 'aria-label': 'Training queue' },
    h('header', { class: 'section-header' }, h('h2', { text: 'Queue' }), summary,
      h('span', { class: 'toolbar' }, pauseBtn, button('Refresh', () => void store.loadQueue()))),
    h('div', { class: 'table-scroll' }, h('table', { class: 'queue-table' },
      h('thead', {}, h('tr', {}, ...['', 'Model', 'Name', 'Parent', 'Kind', 'Changes', 'Params', 'Acc', 'Est. time', 'Loss', 'Status', ''].map((t) => h('th', { text: t })))),
      body)));
}
