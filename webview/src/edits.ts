/**
 * The hand-crafting edit list (pure): applies `Edit`s to a parent spec with the server's
 * semantics (indices refer to the model after the previous edits; the output layer is never
 * removed or moved and keeps its units) and the server's change-log wording, so the builder
 * can show the edited glyph at once while `remap/validate` checks it.
 */
import type { Edit, Layer, Spec } from '../../protocol/remap';
import { describeLayer, fieldValue } from './layers';

export interface Applied {
  spec: Spec;
  /** Change-log line per applied edit. */
  log: string[];
  /** For each layer of the result, its index in the parent (null for inserted layers). */
  origin: (number | null)[];
  /** Indices (in the result) of layers whose hyper-parameters were changed. */
  changed: Set<number>;
  /** The first edit that could not be applied, if any (later edits are ignored). */
  error: { edit: number; message: string } | null;
}

function fmt(v: unknown): string {
  return typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : String(v);
}

export function applyEdits(parent: Spec, edits: readonly Edit[]): Applied {
  const layers: Layer[] = parent.layers.map((l) => ({ ...l }));
  const origin: (number | null)[] = layers.map((_, i) => i);
  const changed = new Set<number>();
  const log: string[] = [];
  const done = (error: Applied['error']): Applied => ({
    spec: { ...parent, layers },
    log,
    origin,
    changed: new Set([...changed].filter((i) => i < layers.length)),
    error,
  });
  for (let n = 0; n < edits.length; n++) {
    const edit = edits[n] as Edit;
    const output = layers.length - 1;
    const inRange = (i: number, hi: number): boolean => Number.isInteger(i) && i >= 0 && i <= hi;
    if (edit.op === 'insert') {
      if (!inRange(edit.index, output)) return done({ edit: n, message: `index ${edit.index} is out of range 0–${output}` });
      layers.splice(edit.index, 0, { ...edit.layer });
      origin.splice(edit.index, 0, null);
      shiftChanged(changed, edit.index, +1);
      log.push(`Inserted ${describeLayer(edit.layer)} before index ${edit.index}`);
    } else if (edit.op === 'remove') {
      if (!inRange(edit.index, output)) return done({ edit: n, message: `index ${edit.index} is out of range 0–${output}` });
      if (edit.index === output) return done({ edit: n, message: 'the output layer is never removed' });
      const [gone] = layers.splice(edit.index, 1);
      origin.splice(edit.index, 1);
      changed.delete(edit.index);
      shiftChanged(changed, edit.index, -1);
      log.push(`Removed ${describeLayer(gone as Layer)} at index ${edit.index}`);
    } else if (edit.op === 'set') {
      if (!inRange(edit.index, output)) return done({ edit: n, message: `index ${edit.index} is out of range 0–${output}` });
      const layer = layers[edit.index] as Layer;
      const old = fieldValue(layer, edit.field);
      if (old === undefined) return done({ edit: n, message: `${describeLayer(layer)} has no field ${edit.field}` });
      if (edit.index === output && edit.field === 'units') return done({ edit: n, message: "the output layer's units are the class count" });
      layers[edit.index] = { ...layer, [edit.field]: edit.value } as Layer;
      changed.add(edit.index);
      log.push(`Changed ${snake(edit.field)} at index ${edit.index} from ${fmt(old)} to ${fmt(edit.value)}`);
    } else {
      if (!inRange(edit.from, output - 1) || !inRange(edit.to, output - 1)) {
        return done({ edit: n, message: `move ${edit.from}→${edit.to} is out of range 0–${output - 1}` });
      }
      const [layer] = layers.splice(edit.from, 1);
      layers.splice(edit.to, 0, layer as Layer);
      const [o] = origin.splice(edit.from, 1);
      origin.splice(edit.to, 0, o ?? null);
      const wasChanged = changed.has(edit.from);
      const moved = [...changed].filter((i) => i !== edit.from).map((i) => movedIndex(i, edit.from, edit.to));
      changed.clear();
      moved.forEach((i) => changed.add(i));
      if (wasChanged) changed.add(edit.to);
      log.push(`Moved ${describeLayer(layer as Layer)} from index ${edit.from} to ${edit.to}`);
    }
  }
  return done(null);
}

/** The server names fields in snake_case in its change lists ("kernel_size"). */
export function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function shiftChanged(changed: Set<number>, at: number, by: number): void {
  const next = [...changed].map((i) => (i >= at ? i + by : i));
  changed.clear();
  next.forEach((i) => changed.add(i));
}

/** Where index i ends up when the element at `from` moves to `to`. */
export function movedIndex(i: number, from: number, to: number): number {
  if (i === from) return to;
  if (from < to && i > from && i <= to) return i - 1;
  if (to < from && i >= to && i < from) return i + 1;
  return i;
}
