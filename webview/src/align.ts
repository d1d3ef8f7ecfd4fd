/**
 * Architecture diff alignment (pure). For relatives the child's recorded change list is
 * replayed on the parent (accepted only if it reproduces the child exactly); for any other
 * pair a Needleman–Wunsch global alignment on layer type and hyper-parameters is used
 * (gap = 1, same layer = 0, same type with other hyper-parameters = 0.5, max↔avg pool = 0.75,
 * different categories are never matched). The server's OTMANN transport plan is not exposed
 * over the protocol yet; this alignment is the fallback.
 */
import type { Layer } from '../../protocol/remap';
import { categoryOf, describeLayer, parseLayer } from './layers';

export type AlignKind = 'same' | 'changed' | 'replaced' | 'inserted' | 'removed';

export interface AlignRow {
  /** Index in the first model (null for an insertion). */
  a: number | null;
  /** Index in the second model (null for a removal). */
  b: number | null;
  kind: AlignKind;
  /** Hyper-parameters that differ (for 'changed'). */
  fields: string[];
}

/** Names of the fields whose values differ between two layers of the same type. */
export function diffFields(a: Layer, b: Layer): string[] {
  if (a.type !== b.type) return ['type'];
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...keys].filter((k) => k !== 'type' && ra[k] !== rb[k]).sort();
}

const GAP = 1;
const NEVER = 1e6;

export function matchCost(a: Layer, b: Layer): number {
  if (a.type === b.type) return diffFields(a, b).length ? 0.5 : 0;
  if (categoryOf(a.type) === categoryOf(b.type)) return 0.75;
  return NEVER;
}

/** Global alignment of two layer sequences (ties prefer matches, then removals). */
export function alignLayers(a: readonly Layer[], b: readonly Layer[]): AlignRow[] {
  const n = a.length;
  const m = b.length;
  const cost: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = 0; i <= n; i++) (cost[i] as Float64Array)[0] = i * GAP;
  for (let j = 0; j <= m; j++) (cost[0] as Float64Array)[j] = j * GAP;
  for (let i = 1; i <= n; i++) {
    const row = cost[i] as Float64Array;
    const prev = cost[i - 1] as Float64Array;
    for (let j = 1; j <= m; j++) {
      const diag = (prev[j - 1] as number) + matchCost(a[i - 1] as Layer, b[j - 1] as Layer);
      row[j] = Math.min(diag, (prev[j] as number) + GAP, (row[j - 1] as number) + GAP);
    }
  }
  const rows: AlignRow[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = (cost[i] as Float64Array)[j] as number;
    if (i > 0 && j > 0) {
      const la = a[i - 1] as Layer;
      const lb = b[j - 1] as Layer;
      const c = matchCost(la, lb);
      if (c < NEVER && Math.abs(((cost[i - 1] as Float64Array)[j - 1] as number) + c - here) < 1e-9) {
        const fields = diffFields(la, lb);
        rows.push({ a: i - 1, b: j - 1, kind: fields.length ? 'changed' : 'same', fields });
        i--;
        j--;
        continue;
      }
    }
    if (i > 0 && Math.abs(((cost[i - 1] as Float64Array)[j] as number) + GAP - here) < 1e-9) {
      rows.push({ a: i - 1, b: null, kind: 'removed', fields: [] });
      i--;
    } else {
      rows.push({ a: null, b: j - 1, kind: 'inserted', fields: [] });
      j--;
    }
  }
  return rows.reverse();
}

interface Slot {
  layer: Layer;
  origin: number | null;
  fields: Set<string>;
  replaced: boolean;
}

type Change =
  | { op: 'remove'; index: number }
  | { op: 'insert'; index: number; layer: Layer }
  | { op: 'replace'; index: number; layer: Layer }
  | { op: 'set'; index: number; field: string; value: string }
  | { op: 'move'; from: number; to: number };

/** Parse one change-log line; null for lines that do not change layers (repair notes). */
export function parseChange(line: string): Change | null | 'unknown' {
  let m = /^Removed (.+) at index (\d+)$/.exec(line);
  if (m) return { op: 'remove', index: Number(m[2]) };
  m = /^Inserted (.+) before index (\d+)$/.exec(line);
  if (m) {
    const layer = parseLayer(m[1] as string);
    return layer ? { op: 'insert', index: Number(m[2]), layer } : 'unknown';
  }
  m = /^Replaced (.+) at index (\d+) with (.+)$/.exec(line);
  if (m) {
    const layer = parseLayer(m[3] as string);
    return layer ? { op: 'replace', index: Number(m[2]), layer } : 'unknown';
  }
  m = /^Changed (\w+) at index (\d+) from (\S+) to (\S+)$/.exec(line);
  if (m) return { op: 'set', index: Number(m[2]), field: m[1] as string, value: m[4] as string };
  m = /^Moved (.+) from index (\d+) to (\d+)$/.exec(line);
  if (m) return { op: 'move', from: Number(m[2]), to: Number(m[3]) };
  if (/^Repaired /.test(line)) return null;
  return 'unknown';
}

const CAMEL: Record<string, string> = { kernel_size: 'kernelSize' };

function setField(layer: Layer, field: string, value: string): Layer {
  const key = CAMEL[field] ?? field;
  const old = (layer as unknown as Record<string, unknown>)[key];
  const v = typeof old === 'number' ? Number(value) : value;
  return { ...layer, [key]: v } as Layer;
}

/**
 * Replay a change list. `parentIndices`: indices name the parent's layers (variation,
 * ablation); otherwise they name the model after the previous changes (hand-crafted).
 */
function replay(parent: readonly Layer[], changes: readonly Change[], parentIndices: boolean): Slot[] | null {
  const slots: Slot[] = parent.map((layer, i) => ({ layer, origin: i, fields: new Set<string>(), replaced: false }));
  const where = (index: number): number => (parentIndices ? slots.findIndex((s) => s.origin === index) : index);
  for (const c of changes) {
    if (c.op === 'move') {
      const from = where(c.from);
      if (from < 0 || from >= slots.length) return null;
      const [s] = slots.splice(from, 1);
      slots.splice(parentIndices ? where(c.to) : c.to, 0, s as Slot);
      continue;
    }
    if (c.op === 'insert') {
      let at = parentIndices ? where(c.index) : c.index;
      if (at < 0) at = slots.length - 1;
      if (at > slots.length) return null;
      slots.splice(at, 0, { layer: c.layer, origin: null, fields: new Set(), replaced: false });
      continue;
    }
    const at = where(c.index);
    const slot = slots[at];
    if (!slot) return null;
    if (c.op === 'remove') slots.splice(at, 1);
    else if (c.op === 'replace') slots[at] = { ...slot, layer: c.layer, replaced: true };
    else {
      slot.layer = setField(slot.layer, c.field, c.value);
      slot.fields.add(CAMEL[c.field] ?? c.field);
    }
  }
  return slots;
}

/**
 * The alignment of a parent and its child from the child's change list, or null when the
 * list cannot be parsed or does not reproduce the child.
 */
export function alignFromChanges(parent: readonly Layer[], child: readonly Layer[], changes: readonly string[]): AlignRow[] | null {
  const parsed: Change[] = [];
  for (const line of changes) {
    const c = parseChange(line);
    if (c === 'unknown') return null;
    if (c) parsed.push(c);
  }
  const target = child.map(describeLayer).join('|');
  for (const parentIndices of [true, false]) {
    const slots = replay(parent, parsed, parentIndices);
    if (!slots || slots.map((s) => describeLayer(s.layer)).join('|') !== target) continue;
    const rows: AlignRow[] = [];
    const kept = new Set(slots.map((s) => s.origin).filter((o): o is number => o !== null));
    let nextParent = 0;
    const flushRemoved = (upTo: number): void => {
      for (; nextParent < upTo; nextParent++) {
        if (!kept.has(nextParent)) rows.push({ a: nextParent, b: null, kind: 'removed', fields: [] });
      }
    };
    slots.forEach((s, j) => {
      if (s.origin === null) {
        rows.push({ a: null, b: j, kind: 'inserted', fields: [] });
        return;
      }
      flushRemoved(s.origin);
      nextParent = Math.max(nextParent, s.origin + 1);
      const fields = [...s.fields].sort();
      rows.push({ a: s.origin, b: j, kind: s.replaced ? 'replaced' : fields.length ? 'changed' : 'same', fields: s.replaced ? ['type'] : fields });
    });
    flushRemoved(parent.length);
    return rows;
  }
  return null;
}

/** Counts per kind, for the diff's summary line. */
export function summarise(rows: readonly AlignRow[]): Record<AlignKind, number> {
  const out: Record<AlignKind, number> = { same: 0, changed: 0, replaced: 0, inserted: 0, removed: 0 };
  for (const r of rows) out[r.kind]++;
  return out;
}
