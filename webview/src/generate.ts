/**
 * The Generate tab (and the builder panel): on one model, three modes — ablation (one child
 * per selected layer, all if none; the output layer is never removed), variation (N
 * children with up to K changes; change types enabled per layer by clicking the chip, the
 * gap before it (insert) or the toggles under it), and hand-crafting (handcraft.ts). The
 * children are listed with Δparams and Δaccuracy against the parent.
 */
import { modelLabel } from '../../protocol/models';
import type { ChangeType, GenerateParams, GenerateResult, ModelDetails } from '../../protocol/remap';
import { childrenTable } from './children';
import { chipRow } from './chips';
import { button, h, replaceChildren } from './dom';
import { glyphInputsFromShapes } from './glyph';
import { handcraftView } from './handcraft';
import type { BuilderState, GenerateMode } from './state';
import type { Store } from './store';
import type { Palette } from './theme';

const MODES: [GenerateMode, string][] = [['ablate', 'Ablations'], ['vary', 'Variations'], ['handcraft', 'Hand-crafted']];
const TOGGLES: [ChangeType, string, string][] = [['remove', '⊘', 'remove'], ['replace', '⇄', 'replace'], ['reparameterise', '✎', 'reparameterise']];

export function freshBuilder(modelId: number | null, prev?: BuilderState): BuilderState {
  return { modelId, mode: prev?.mode ?? 'ablate', edits: [], ablate: [], count: prev?.count ?? 5, maxChanges: prev?.maxChanges ?? 3, disabled: [] };
}

/**
 * The change types each layer offers: the server's list in the model details (one rule,
 * remap.arch.variation.applicable), or insertions only when it is missing.
 */
export function offeredChanges(layers: readonly { changes?: ChangeType[] }[]): ChangeType[][] {
  return layers.map((l) => l.changes ?? ['insert']);
}

/** The `enabled` pairs of a variation request (only pairs that can apply), or undefined when everything offered is enabled. */
export function enabledPairs(offered: readonly (readonly ChangeType[])[], disabled: readonly [number, ChangeType][]): [number, ChangeType][] | undefined {
  const off = new Set(disabled.map(([i, t]) => `${i}:${t}`));
  const out: [number, ChangeType][] = [];
  offered.forEach((kinds, i) => kinds.forEach((t) => { if (!off.has(`${i}:${t}`)) out.push([i, t]); }));
  return out.length === offered.reduce((n, k) => n + k.length, 0) ? undefined : out;
}

export function describeResult(r: GenerateResult): string {
  const parts = [`created ${r.created.length} model${r.created.length === 1 ? '' : 's'}`];
  if (r.existing.length) parts.push(`${r.existing.length} already existed`);
  if (r.jobs.length) parts.push(`queued ${r.jobs.length} training job${r.jobs.length === 1 ? '' : 's'}`);
  if (r.skipped.length) parts.push(`skipped: ${r.skipped.join('; ')}`);
  return parts.join(', ');
}

export function generateView(store: Store, palette: () => Palette, modelId: () => number | null): HTMLElement {
  const el = h('div', { class: 'generate' });
  let fresh = new Set<number>();
  let busy = false;
  // Children start from the parent's weights where shapes did not change (setting inherit_weights).
  const inherit = h('input', { type: 'checkbox', 'data-field': 'inheritWeights' });
  inherit.checked = store.status?.settings.inheritWeights ?? true;
  const b = (): BuilderState => {
    const id = modelId();
    if (!store.state.builder || store.state.builder.modelId !== id) store.save({ builder: freshBuilder(id, store.state.builder) });
    return store.state.builder as BuilderState;
  };
  const update = (patch: Partial<BuilderState>): void => {
    store.save({ builder: { ...b(), ...patch } });
    render();
  };
  const run = (params: GenerateParams): void => {
    if (busy) return;
    busy = true;
    render();
    store.host.request('remap/generate', { ...params, inheritWeights: inherit.checked }).then(
      (r) => {
        fresh = new Set([...r.created, ...r.existing]);
        store.say(`Generate: ${describeResult(r)}`);
        if (params.kind === 'handcraft' && r.created.length) update({ edits: [] });
        store.refreshSoon();
      },
      (err: unknown) => store.fail('Generate', err),
    ).finally(() => {
      busy = false;
      render();
    });
  };

  const ablation = (d: ModelDetails): HTMLElement => {
    const st = b();
    const n = d.spec.layers.length;
    const inputs = glyphInputsFromShapes(d.spec.layers, d.layers).map((g, i) => ({ ...g, marks: st.ablate.includes(i) ? ['selected'] : [] }));
    const count = st.ablate.length || n - 1;
    return h('div', { class: 'mode-body' },
      h('p', { class: 'hint', text: 'Select the layers to remove (one child each); none selected = every layer. The output layer is never removed.' }),
      chipRow(inputs, {
        onChip: (i) => update({ ablate: st.ablate.includes(i) ? st.ablate.filter((x) => x !== i) : [...st.ablate, i].sort((x, y) => x - y) }),
        disabled: (i) => i === n - 1,
        pressed: (i) => st.ablate.includes(i),
        chipLabel: (i) => `${d.layers[i]?.layer ?? `layer ${i}`}: ${st.ablate.includes(i) ? 'selected for ablation' : 'not selected'}`,
      }),
      button(busy ? 'Generating…' : `Generate ${count} ablation${count === 1 ? '' : 's'}`, () =>
        run({ kind: 'ablate', modelId: d.model.id, ...(st.ablate.length ? { layers: st.ablate } : {}) }),
      { class: 'primary', disabled: busy || store.host.readOnly, 'data-action': 'ablate' }));
  };

  const variation = (d: ModelDetails): HTMLElement => {
    const st = b();
    const offered = offeredChanges(d.layers);
    const isOff = (i: number, t: ChangeType): boolean => st.disabled.some(([j, u]) => j === i && u === t);
    const toggle = (pairs: [number, ChangeType][], off: boolean): void => {
      const rest = st.disabled.filter(([j, u]) => !pairs.some(([i, t]) => i === j && t === u));
      update({ disabled: off ? [...rest, ...pairs] : rest });
    };
    const kinds = (i: number): ChangeType[] => TOGGLES.map(([t]) => t).filter((t) => offered[i]?.includes(t));
    const canInsert = (i: number): boolean => offered[i]?.includes('insert') ?? false;
    const slider = (label: string, value: number, lo: number, hi: number, key: 'count' | 'maxChanges'): HTMLElement => {
      const input = h('input', { type: 'range', min: lo, max: hi, value, 'aria-label': label, 'data-field': key });
      const out = h('output', { text: String(value) });
      input.addEventListener('input', () => (out.textContent = input.value));
      input.addEventListener('change', () => update({ [key]: Number(input.value) }));
      return h('label', { class: 'slider' }, h('span', { text: label }), input, out);
    };
    return h('div', { class: 'mode-body' },
      h('p', { class: 'hint', text: 'Click a chip to switch all its change types, the gap before it for insertions, or the toggles under it.' }),
      chipRow(glyphInputsFromShapes(d.spec.layers, d.layers).map((g, i) => ({ ...g, marks: kinds(i).length && kinds(i).every((t) => isOff(i, t)) ? ['off'] : [] })), {
        onChip: (i) => {
          const all = kinds(i).map((t) => [i, t] as [number, ChangeType]);
          if (all.length) toggle(all, !all.every(([, t]) => isOff(i, t)));
        },
        disabled: (i) => !kinds(i).length,
        onGap: (i) => { if (canInsert(i)) toggle([[i, 'insert']], !isOff(i, 'insert')); },
        gapActive: (i) => canInsert(i) && !isOff(i, 'insert'),
        gapLabel: (i) => `Insertions before layer ${i}: ${isOff(i, 'insert') ? 'off' : 'on'}`,
        below: (i) => h('div', { class: 'toggles' }, ...kinds(i).map((t) => {
          const [, icon, label] = TOGGLES.find(([u]) => u === t) as [ChangeType, string, string];
          const on = !isOff(i, t);
          return button(icon, () => toggle([[i, t]], on), { class: `toggle${on ? ' on' : ''}`, 'aria-pressed': String(on), title: `${label} layer ${i}: ${on ? 'on' : 'off'}`, 'aria-label': `${label} layer ${i}`, 'data-change': t });
        })),
      }),
      h('div', { class: 'sliders' }, slider('Models to generate', st.count, 1, 20, 'count'), slider('Changes per model', st.maxChanges, 1, 5, 'maxChanges')),
      button(busy ? 'Generating…' : `Generate ${st.count} variation${st.count === 1 ? '' : 's'}`, () => {
        const enabled = enabledPairs(offered, st.disabled);
        if (enabled && !enabled.length) {
          store.say('Enable at least one change type', true);
          return;
        }
        run({ kind: 'vary', modelId: d.model.id, count: st.count, maxChanges: st.maxChanges, ...(enabled ? { enabled } : {}) });
      }, { class: 'primary', disabled: busy || store.host.readOnly, 'data-action': 'vary' }));
  };

  const handcraft = handcraftView(store, palette, b, (edits) => update({ edits }), (edits) => {
    const id = modelId();
    if (id !== null) run({ kind: 'handcraft', modelId: id, edits });
  }, () => busy);

  const render = (): void => {
    const id = modelId();
    if (id === null) {
      replaceChildren(el, h('p', { class: 'hint', text: 'Inspect a model first (click it on the map or in the drawer).' }));
      return;
    }
    const d = store.cachedDetails(id);
    if (!d) {
      replaceChildren(el, h('p', { class: 'hint', text: 'loading…' }));
      void store.getDetails(id).catch((err: unknown) => store.fail(`model ${id}`, err));
      return;
    }
    const st = b();
    const modes = h('div', { class: 'modes', role: 'radiogroup', 'aria-label': 'Kind of experiment' },
      ...MODES.map(([m, label]) => {
        const input = h('input', { type: 'radio', name: 'generate-mode', value: m, 'data-mode': m });
        input.checked = st.mode === m;
        input.addEventListener('change', () => update({ mode: m }));
        return h('label', {}, input, label);
      }));
    const body = st.mode === 'ablate' ? ablation(d) : st.mode === 'vary' ? variation(d) : handcraft.render(d);
    replaceChildren(el,
      h('header', { class: 'section-header' }, h('h2', {}, `Generate from ${modelLabel(d.model)}`), modes,
        h('label', { class: 'inherit', title: "Children start from the parent's trained weights for every layer whose shapes did not change" }, inherit, "Start from the parent's weights")),
      store.host.readOnly ? h('p', { class: 'hint', text: 'This is a read-only report: generating needs VS Code.' }) : null,
      body,
      h('section', {}, h('h3', { text: 'Child models' }), kids));
    renderChildren();
  };
  const kids = h('div', { class: 'children' });
  const renderChildren = (): void => {
    const id = modelId();
    const parent = id === null ? undefined : (store.byId.get(id) ?? store.cachedDetails(id)?.model);
    if (parent) replaceChildren(kids, childrenTable(store, parent, palette(), fresh));
  };
  let shown: ModelDetails | undefined;
  // Training progress only refreshes the children, so edits and sliders keep their focus.
  store.on(['models', 'epoch'], renderChildren);
  store.on(['inspect', 'context'], () => {
    fresh = new Set();
    render();
  });
  store.on('details', () => {
    const id = modelId();
    const d = id === null ? undefined : store.cachedDetails(id);
    if (d !== shown) {
      shown = d;
      render();
    }
  });
  render();
  return el;
}
