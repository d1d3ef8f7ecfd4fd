/**
 * Architecture diff of two models: chips aligned layer by layer, insertions, removals,
 * replacements and changed hyper-parameters marked; metrics side by side. Relatives are
 * aligned by replaying the child's change list; other pairs by an edit-distance alignment
 * (align.ts) — the server's OTMANN transport plan is not exposed yet.
 */
import { modelLabel } from '../../protocol/models';
import type { ModelDetails } from '../../protocol/remap';
import type { AlignRow } from './align';
import { alignFromChanges, alignLayers, summarise } from './align';
import { button, h, replaceChildren } from './dom';
import { formatAcc, formatDeltaAcc, formatDeltaParams, formatParams, formatShape } from './format';
import type { GlyphInput } from './glyph';
import { glyphInputsFromShapes, glyphLayout, renderGlyphSvg } from './glyph';
import { fieldValue } from './layers';
import type { Store } from './store';

export interface DiffPlan {
  rows: AlignRow[];
  method: 'changes' | 'alignment';
}

/** How to align A and B: the change list when one is the other's parent, else edit distance. */
export function planDiff(a: ModelDetails, b: ModelDetails): DiffPlan {
  const la = a.spec.layers;
  const lb = b.spec.layers;
  if (b.model.parentId === a.model.id) {
    const rows = alignFromChanges(la, lb, b.model.changes);
    if (rows) return { rows, method: 'changes' };
  } else if (a.model.parentId === b.model.id) {
    const rows = alignFromChanges(lb, la, a.model.changes);
    if (rows) {
      const flip = { inserted: 'removed', removed: 'inserted' } as const;
      return {
        rows: rows.map((r) => ({ a: r.b, b: r.a, kind: r.kind === 'inserted' || r.kind === 'removed' ? flip[r.kind] : r.kind, fields: r.fields })),
        method: 'changes',
      };
    }
  }
  return { rows: alignLayers(la, lb), method: 'alignment' };
}

function chip(input: GlyphInput | undefined, marks: string[]): HTMLElement {
  if (!input) return h('div', { class: 'diff-empty', 'aria-hidden': 'true' });
  return h('div', { class: 'diff-chip' }, renderGlyphSvg(document, glyphLayout([{ ...input, marks }], { height: 64, chipWidth: 28, gap: 0, detail: true })),
    h('div', { class: 'shape', text: formatShape(input.output ?? null) }));
}

const SYMBOL: Record<AlignRow['kind'], string> = { same: '=', changed: '≠', replaced: '⇄', inserted: '+', removed: '−' };

export function diffView(store: Store, ids: () => { a: number; b: number } | null): HTMLElement {
  const el = h('div', { class: 'diff', 'aria-live': 'polite' });
  let token = 0;
  const render = (): void => {
    const pair = ids();
    if (!pair) {
      replaceChildren(el, h('p', { class: 'hint', text: 'Select two models in the drawer and press Diff.' }));
      return;
    }
    const mine = ++token;
    replaceChildren(el, h('p', { class: 'hint', text: 'loading…' }));
    Promise.all([store.getDetails(pair.a), store.getDetails(pair.b)]).then(([a, b]) => {
      if (mine === token) replaceChildren(el, ...content(a, b));
    }, (err: unknown) => {
      if (mine === token) replaceChildren(el, h('p', { class: 'error', text: `Cannot diff: ${err instanceof Error ? err.message : String(err)}` }));
    });
  };
  const content = (a: ModelDetails, b: ModelDetails): HTMLElement[] => {
    const plan = planDiff(a, b);
    const ga = glyphInputsFromShapes(a.spec.layers, a.layers);
    const gb = glyphInputsFromShapes(b.spec.layers, b.layers);
    const counts = summarise(plan.rows);
    const cols = plan.rows.map((r, n) => {
      const mark = r.kind === 'same' ? [] : [r.kind];
      const detail = r.kind === 'changed' && r.a !== null && r.b !== null
        ? r.fields.map((f) => `${f} ${String(fieldValue(a.spec.layers[r.a as number]!, f))}→${String(fieldValue(b.spec.layers[r.b as number]!, f))}`).join(', ')
        : r.kind === 'same' ? '' : r.kind;
      return h('div', { class: `diff-col diff-${r.kind}`, 'data-kind': r.kind, 'data-col': n, title: detail },
        chip(r.a === null ? undefined : ga[r.a], mark),
        h('div', { class: 'diff-mark', text: SYMBOL[r.kind] }),
        h('div', { class: 'diff-detail', text: detail }),
        chip(r.b === null ? undefined : gb[r.b], mark));
    });
    const metric = (label: string, va: string, vb: string, delta: string): HTMLElement => h('tr', {}, h('th', { text: label }), h('td', { text: va }), h('td', { text: vb }), h('td', { text: delta }));
    const dAcc = a.model.valAcc !== null && b.model.valAcc !== null ? b.model.valAcc - a.model.valAcc : null;
    return [
      h('header', { class: 'section-header' }, h('h2', {}, `${modelLabel(a.model)} → ${modelLabel(b.model)}`),
        button('Swap', () => {
          swapped = !swapped;
          render();
        })),
      h('p', { class: 'hint', 'data-method': plan.method, text: plan.method === 'changes'
        ? 'Aligned by the recorded change list (the models are parent and child).'
        : 'Aligned by edit distance on layer type and hyper-parameters (the OTMANN transport plan is not available from the server yet).' }),
      h('p', { class: 'diff-summary', text: `${counts.same} same · ${counts.changed} changed · ${counts.replaced} replaced · ${counts.inserted} inserted · ${counts.removed} removed` }),
      h('div', { class: 'diff-grid', role: 'table', 'aria-label': 'Aligned layers: first model on top, second below' },
        h('div', { class: 'diff-col diff-labels' }, h('div', { class: 'diff-row-label', text: `#${a.model.id}` }), h('div', { class: 'diff-mark' }), h('div', { class: 'diff-detail' }), h('div', { class: 'diff-row-label', text: `#${b.model.id}` })),
        ...cols),
      h('table', { class: 'metrics diff-metrics' },
        h('tr', {}, h('th'), h('th', { text: modelLabel(a.model) }), h('th', { text: modelLabel(b.model) }), h('th', { text: 'Δ' })),
        metric('Params', formatParams(a.model.params), formatParams(b.model.params), formatDeltaParams(b.model.params - a.model.params)),
        metric('Val acc', formatAcc(a.model.valAcc), formatAcc(b.model.valAcc), formatDeltaAcc(dAcc)),
        metric('Layers', String(a.spec.layers.length), String(b.spec.layers.length), String(b.spec.layers.length - a.spec.layers.length)),
        metric('Epochs', String(a.model.epochs ?? '—'), String(b.model.epochs ?? '—'), '')),
    ];
  };
  let swapped = false;
  const base = ids;
  ids = () => {
    const p = base();
    return p && swapped ? { a: p.b, b: p.a } : p;
  };
  store.on('context', render);
  render();
  return el;
}
