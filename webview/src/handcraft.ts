/**
 * Hand-crafting a model: edit the glyph directly — select a chip to change its
 * hyper-parameters, remove or move it; "+" in a gap inserts a layer; drag a chip onto
 * another to reorder. Every edit is checked live with `remap/validate`: the tensor shape
 * after each layer, the parameter count and the error ON the offending chip are shown
 * before anything is queued. Edit log, undo, reset, spawn.
 */
import type { Edit, LayerType, ModelDetails, Spec, Validation } from '../../protocol/remap';
import { applyEdits } from './edits';
import { chipRow } from './chips';
import { button, h, replaceChildren } from './dom';
import { formatParams, formatParamsAgainst, formatShape } from './format';
import type { GlyphInput } from './glyph';
import { INSERTABLE, LAYER_FIELDS, defaultLayer, describeLayer, fieldValue, inferShapes, tensorSize } from './layers';
import type { BuilderState } from './state';
import type { Store } from './store';
import type { Palette } from './theme';

export interface HandcraftView {
  render(d: ModelDetails): HTMLElement;
}

export function handcraftView(
  store: Store,
  _palette: () => Palette,
  state: () => BuilderState,
  setEdits: (edits: Edit[]) => void,
  spawn: (edits: Edit[]) => void,
  busy: () => boolean,
): HandcraftView {
  const root = h('div', { class: 'mode-body handcraft' });
  let details: ModelDetails | null = null;
  let selected: number | null = null;
  let insertAt: number | null = null;
  let validation: { key: string; result: Validation | null; error: string | null } | null = null;
  let pendingKey: string | null = null;
  let seq = 0;

  const push = (edit: Edit): void => {
    setEdits([...state().edits, edit]);
  };

  const validate = (key: string, spec: Spec): void => {
    pendingKey = key;
    const mine = ++seq;
    store.host.request('remap/validate', { spec }).then(
      (result) => {
        if (mine !== seq) return;
        validation = { key, result, error: null };
      },
      (err: unknown) => {
        if (mine !== seq) return;
        validation = { key, result: null, error: err instanceof Error ? err.message : String(err) };
      },
    ).finally(() => {
      if (mine !== seq) return;
      pendingKey = null;
      paint();
    });
  };

  const paint = (): void => {
    const d = details;
    if (!d) return;
    const edits = state().edits;
    const applied = applyEdits(d.spec, edits);
    const spec = applied.spec;
    const key = JSON.stringify(spec);
    if (edits.length && !applied.error && validation?.key !== key && pendingKey !== key) validate(key, spec);
    const checked = !edits.length ? null : validation?.key === key ? validation : null;
    const v = checked?.result ?? null;
    const local = inferShapes(d.spec.inputShape, spec.layers);
    const shapes = !edits.length ? d.layers : v ? v.layers : local.layers.map((l) => ({ ...l, layer: '', input: [], reshaped: false }));
    const errIndex = v?.error?.index ?? null;
    const n = spec.layers.length;
    if (selected !== null && selected >= n) selected = null;
    // Past a validation error the server reports no shapes: size those chips locally.
    const sizeOf = (i: number): { output: number[]; params: number } | undefined => shapes[i] ?? local.layers[i];
    const inputs: GlyphInput[] = spec.layers.map((layer, i) => {
      const s = sizeOf(i);
      const marks: string[] = [];
      if (applied.origin[i] === null) marks.push('inserted');
      if (applied.changed.has(i)) marks.push('changed');
      if (errIndex === i) marks.push('error');
      if (selected === i) marks.push('selected');
      return { layer, outSize: s ? tensorSize(s.output) : null, output: s?.output ?? null, params: s?.params ?? null, marks };
    });
    const row = chipRow(inputs, {
      onChip: (i) => {
        selected = selected === i ? null : i;
        insertAt = null;
        paint();
      },
      onGap: (i) => {
        insertAt = insertAt === i ? null : i;
        selected = null;
        paint();
      },
      gapActive: (i) => insertAt === i,
      gapLabel: (i) => `Insert a layer before layer ${i}`,
      pressed: (i) => selected === i,
      draggable: (i) => i < n - 1,
      onMove: (from, to) => push({ op: 'move', from, to }),
      below: (i) => {
        const s = shapes[i];
        return h('div', { class: 'chip-caption' },
          h('span', { class: 'shape', text: s ? formatShape(s.output) : '?' }),
          errIndex === i && v?.error ? h('span', { class: 'chip-error-msg', role: 'alert', text: v.error.message }) : null);
      },
    });
    const status = applied.error
      ? h('span', { class: 'error', text: `Edit ${applied.error.edit + 1}: ${applied.error.message}` })
      : !edits.length ? h('span', { class: 'muted', text: 'Edit the chips: select one to change or remove it, “+” inserts, drag to reorder.' })
      : checked?.error ? h('span', { class: 'error', text: `Validation failed: ${checked.error}` })
      : !v ? h('span', { class: 'muted', text: 'checking…' })
      : v.ok ? h('span', { class: 'ok', text: '✓ valid' })
      : h('span', { class: 'error', 'data-error-index': errIndex ?? 'model', text: errIndex === null || /^layer /i.test(v.error?.message ?? '') ? (v.error?.message ?? 'invalid') : `Layer ${errIndex}: ${v.error?.message ?? 'invalid'}` });
    const invalid = !!applied.error || (v ? !v.ok : edits.length > 0 && local.error !== null);
    const params = invalid ? null : v ? v.params : !edits.length ? d.model.params : local.params;
    const canSpawn = edits.length > 0 && !!v?.ok && !busy() && !store.host.readOnly;
    replaceChildren(root,
      row,
      h('div', { class: 'builder-summary', 'data-state': !edits.length ? 'clean' : v ? (v.ok ? 'valid' : 'invalid') : 'checking' },
        h('span', { class: 'params', text: formatParamsAgainst(params, d.model.params) }),
        v && !invalid ? h('span', { text: `FLOPs ${formatParams(v.flops)}` }) : null, status),
      insertAt !== null ? insertPicker(insertAt) : null,
      selected !== null ? editor(selected, spec.layers[selected] ?? null, n) : null,
      h('section', { class: 'edit-log' }, h('h3', { text: 'Edit log' }),
        applied.log.length ? h('ol', {}, ...applied.log.map((l) => h('li', { text: l }))) : h('p', { class: 'hint', text: 'No edits yet.' }),
        h('div', { class: 'toolbar' },
          button('Undo', () => setEdits(edits.slice(0, -1)), { disabled: !edits.length }),
          button('Reset', () => {
            selected = null;
            insertAt = null;
            setEdits([]);
          }, { disabled: !edits.length }),
          button(busy() ? 'Spawning…' : 'Spawn', () => spawn(edits), { class: 'primary', disabled: !canSpawn, 'data-action': 'spawn', title: 'Add the edited model and queue its training' }))));
  };

  const insertPicker = (index: number): HTMLElement => {
    const select = h('select', { 'aria-label': 'Layer type to insert' },
      ...INSERTABLE.map((t) => h('option', { value: t, text: describeLayer(defaultLayer(t)) })));
    return h('div', { class: 'editor', role: 'group', 'aria-label': `Insert before layer ${index}` },
      h('span', { text: `Insert before layer ${index}: ` }), select,
      button('Insert', () => {
        insertAt = null;
        push({ op: 'insert', index, layer: defaultLayer(select.value as LayerType) });
      }, { 'data-action': 'insert' }),
      button('Cancel', () => {
        insertAt = null;
        paint();
      }));
  };

  const editor = (index: number, layer: ModelDetails['spec']['layers'][number] | null, n: number): HTMLElement | null => {
    if (!layer) return null;
    const output = index === n - 1;
    const fields = LAYER_FIELDS[layer.type].filter((f) => !(output && f.field === 'units'));
    return h('div', { class: 'editor', role: 'group', 'aria-label': `Edit layer ${index}` },
      h('strong', { text: `${index}: ${describeLayer(layer)}` }),
      ...fields.map((f) => {
        const current = fieldValue(layer, f.field);
        const values = current !== undefined && !f.values.includes(current) ? [current, ...f.values] : f.values;
        const sel = h('select', { 'aria-label': f.label, 'data-field': f.field },
          ...values.map((val) => h('option', { value: String(val), text: String(val) })));
        sel.value = String(current);
        sel.addEventListener('change', () => {
          const raw = sel.value;
          const value = typeof current === 'number' ? Number(raw) : raw;
          push({ op: 'set', index, field: f.field, value });
        });
        return h('label', {}, `${f.label} `, sel);
      }),
      !output ? button('Remove', () => {
        selected = null;
        push({ op: 'remove', index });
      }, { 'data-action': 'remove' }) : h('span', { class: 'muted', text: 'output layer (kept)' }),
      !output && index > 0 ? button('← Move', () => {
        selected = index - 1;
        push({ op: 'move', from: index, to: index - 1 });
      }, { title: 'Move one place left' }) : null,
      !output && index < n - 2 ? button('Move →', () => {
        selected = index + 1;
        push({ op: 'move', from: index, to: index + 1 });
      }, { title: 'Move one place right' }) : null);
  };

  return {
    render(d: ModelDetails): HTMLElement {
      if (details?.model.id !== d.model.id) {
        selected = null;
        insertAt = null;
        validation = null;
      }
      details = d;
      paint();
      return root;
    },
  };
}
