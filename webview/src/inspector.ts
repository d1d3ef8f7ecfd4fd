/**
 * The model inspector tab: large glyph (hyper-parameters on the chips), parent link,
 * train/val accuracy, epochs, parameters, confusion matrix, per-epoch accuracy and loss
 * curves (live while training), change list and children with Δparams/Δaccuracy.
 */
import { modelLabel } from '../../protocol/models';
import type { EpochMetrics, ModelDetails } from '../../protocol/remap';
import { confusionMatrix, lineChart } from './charts';
import { childrenTable } from './children';
import { button, h, replaceChildren } from './dom';
import { formatAcc, formatDuration, formatParams } from './format';
import { glyphInputsFromShapes, glyphLayout, renderGlyphSvg } from './glyph';
import type { Store } from './store';
import type { Palette } from './theme';

export function largeGlyph(details: ModelDetails): SVGSVGElement {
  const inputs = glyphInputsFromShapes(details.spec.layers, details.layers);
  return renderGlyphSvg(document, glyphLayout(inputs, { height: 72, chipWidth: 24, gap: 3, detail: true }), details.model.layers);
}

/** Epoch metrics of the run merged with live ones (live win for the same epoch). */
export function mergedEpochs(details: ModelDetails | undefined, live: EpochMetrics[] | undefined): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  for (const e of details?.run?.epochs ?? []) byEpoch.set(e.epoch, e);
  if (details?.model.state === 'training' || details?.model.state === 'queued' || !details?.run) {
    for (const e of live ?? []) byEpoch.set(e.epoch, e);
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** "weights: 52 KB · re-evaluated 91.1%", what the model inherited, and a recorded accuracy. */
export function weightsRows(recorded: number | null | undefined, run: ModelDetails['run'] | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (recorded !== null && recorded !== undefined) out.push(['Recorded acc', `${percent(recorded)} (recorded, not trained here)`]);
  if (run?.weightsBytes) {
    const again = run.reevaluatedAcc !== null && run.reevaluatedAcc !== undefined ? ` · re-evaluated ${percent(run.reevaluatedAcc)}` : '';
    out.push(['Weights', `${formatBytes(run.weightsBytes)}${again}`]);
  }
  if (run?.inherited?.length) out.push(['Inherited', run.inherited.map((l) => `${l.index} ${l.layer}`).join(', ')]);
  return out;
}

/** The change list's last line for a trained child: which of its layers started from the parent's weights. */
export function inheritedText(run: ModelDetails['run'] | undefined): string | null {
  if (!run?.inherited?.length) return null;
  return `Started from the parent's weights: ${run.inherited.map((l) => `layer ${l.index} ${l.layer}`).join(', ')}`;
}

function inheritedLine(run: ModelDetails['run'] | undefined): HTMLElement | null {
  const text = inheritedText(run);
  return text ? h('li', { class: 'inherited', text }) : null;
}

function percent(a: number): string {
  return `${(a * 100).toFixed(1)}%`;
}

function formatBytes(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${Math.round(n / 1000)} KB` : `${(n / 1e6).toFixed(1)} MB`;
}

export function inspectorView(store: Store, palette: () => Palette, goGenerate: () => void): HTMLElement {
  const el = h('div', { class: 'inspector', 'aria-live': 'polite' });
  const render = (): void => {
    const id = store.inspected;
    if (id === null) {
      replaceChildren(el, h('p', { class: 'hint', text: 'Click a model on the map or in the drawer to inspect it.' }));
      return;
    }
    const d = store.cachedDetails(id);
    const row = store.byId.get(id) ?? d?.model;
    if (!row) {
      replaceChildren(el, h('p', { class: 'hint', text: `Model #${id} is not in this workspace.` }));
      return;
    }
    el.dataset.model = String(id);
    const p = palette();
    const parent = row.parentId !== null ? store.byId.get(row.parentId) : undefined;
    const ro = store.host.readOnly;
    const actions = h('div', { class: 'toolbar' },
      button(store.drawer.includes(id) ? 'In drawer' : 'Add to drawer', () => store.addToDrawer([id]), { disabled: store.drawer.includes(id) }),
      !ro && ['untrained', 'failed', 'cancelled'].includes(row.state) ? button('Train', () => {
        store.host.request('remap/train', { modelIds: [id] }).then(
          (r) => store.say(`Queued ${r.jobs.length} training job(s) for ${modelLabel(row)}`),
          (err: unknown) => store.fail('train', err));
      }, { 'data-action': 'train' }) : null,
      !ro ? button('Generate…', goGenerate, { title: 'Ablate, vary or hand-craft this model' }) : null,
      !ro && store.host.kind === 'vscode' ? button('Open builder', () => store.host.command({ name: 'openBuilder', modelId: id })) : null,
      !ro ? button('Export', () => store.host.command({ name: 'exportModel', modelId: id })) : null,
      parent ? button('Diff with parent', () => store.openDiff(parent.id, id), { 'data-action': 'diff-parent' }) : null,
      d?.source && store.host.kind === 'vscode' ? button('Open source', () => store.host.command({ name: 'openFile', path: d.source as string })) : null);
    const metrics: [string, string][] = [
      ['Origin', row.origin], ['State', row.state],
      ['Val acc', formatAcc(row.valAcc)], ['Train acc', formatAcc(row.trainAcc)],
      ['Val loss', d?.run?.valLoss !== null && d?.run?.valLoss !== undefined ? d.run.valLoss.toFixed(3) : '—'],
      ['Epochs', row.epochs === null ? '—' : String(row.epochs) + (d?.run?.stoppedEarly ? ' (stopped early)' : '')],
      ['Params', formatParams(row.params)], ['FLOPs', formatParams(row.flops)],
      ['Training time', formatDuration(row.seconds)], ['Device', d?.run?.device ?? '—'],
      ...weightsRows(row.recordedAcc, d?.run),
    ];
    const epochs = mergedEpochs(d, store.live.get(id));
    const classes = d?.classes ?? store.classNames();
    replaceChildren(el,
      h('header', { class: 'inspector-header' },
        h('h2', {}, modelLabel(row)),
        parent ? h('span', { class: 'parent' }, 'parent ', button(modelLabel(parent), () => store.inspect(parent.id), { class: 'link', 'data-action': 'parent' })) : null),
      actions,
      h('div', { class: 'glyph-large' }, d ? largeGlyph(d) : h('span', { class: 'hint', text: 'loading…' })),
      h('div', { class: 'inspector-grid' },
        h('table', { class: 'metrics' }, ...metrics.map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: v })))),
        epochs.length ? lineChart(p, [
          { label: 'train', values: epochs.map((e) => e.trainAcc), colour: p.layers.dense },
          { label: 'val', values: epochs.map((e) => e.valAcc), colour: p.layers.conv },
        ], 220, 110, 'Accuracy per epoch') : null,
        epochs.length ? lineChart(p, [
          { label: 'train', values: epochs.map((e) => e.trainLoss), colour: p.layers.dense },
          { label: 'val', values: epochs.map((e) => e.valLoss), colour: p.layers.conv },
        ], 220, 110, 'Loss per epoch') : null,
        d?.run?.confusion ? confusionMatrix(p, d.run.confusion, classes, 250, store.activeClass) : null),
      row.changes.length ? h('section', {}, h('h3', { text: 'Changes from the parent' }), h('ul', { class: 'change-list' },
        ...row.changes.map((c) => h('li', { text: c })),
        inheritedLine(d?.run))) : null,
      h('section', {}, h('h3', { text: 'Children' }), childrenTable(store, row, p)));
  };
  let shown: ModelDetails | undefined;
  let liveCount = -1;
  const renderNow = (): void => {
    shown = store.inspected === null ? undefined : store.cachedDetails(store.inspected);
    liveCount = store.inspected === null ? -1 : (store.live.get(store.inspected)?.length ?? 0);
    render();
  };
  store.on(['inspect', 'models', 'drawer', 'class'], renderNow);
  // Details arrive for many models (per-class colouring); re-render only for ours.
  store.on('details', () => {
    if (store.inspected !== null && store.cachedDetails(store.inspected) !== shown) renderNow();
  });
  store.on('epoch', () => {
    if (store.inspected !== null && (store.live.get(store.inspected)?.length ?? 0) !== liveCount) renderNow();
  });
  renderNow();
  return el;
}
