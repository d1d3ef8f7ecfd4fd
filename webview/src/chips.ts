/**
 * Interactive chips for the Generate tab and the builder: one button per layer holding that
 * layer's glyph chip (same look as everywhere else), with optional gap buttons between
 * chips, a caption below (output shape) and marks (selected, disabled, error, changed,
 * inserted). The callers decide what clicking a chip or a gap means.
 */
import { h } from './dom';
import type { GlyphInput } from './glyph';
import { chipTitle, glyphLayout, renderGlyphSvg } from './glyph';

export interface ChipRowOptions {
  /** Called with the layer index when a chip is activated. */
  onChip?: (index: number, e: MouseEvent | KeyboardEvent) => void;
  /** Gap before chip `index` (0..n-1); omitted when null. */
  onGap?: (index: number) => void;
  gapLabel?: (index: number) => string;
  gapActive?: (index: number) => boolean;
  /** Extra element under each chip (captions, toggles). */
  below?: (index: number) => HTMLElement | null;
  chipLabel?: (index: number) => string;
  disabled?: (index: number) => boolean;
  pressed?: (index: number) => boolean | null;
  draggable?: (index: number) => boolean;
  onMove?: (from: number, to: number) => void;
  height?: number;
  chipWidth?: number;
}

export function chipRow(inputs: readonly GlyphInput[], o: ChipRowOptions): HTMLElement {
  const row = h('div', { class: 'chip-row', role: 'list' });
  const height = o.height ?? 64;
  const chipWidth = o.chipWidth ?? 28;
  inputs.forEach((input, i) => {
    if (o.onGap) {
      const active = o.gapActive?.(i) ?? false;
      const gap = h('button', {
        type: 'button', class: `chip-gap${active ? ' active' : ''}`, 'data-gap': i,
        'aria-label': o.gapLabel?.(i) ?? `Insert before layer ${i}`, title: o.gapLabel?.(i) ?? `Insert before layer ${i}`,
        'aria-pressed': o.gapActive ? String(active) : null,
      }, '+');
      gap.addEventListener('click', () => o.onGap?.(i));
      row.appendChild(gap);
    }
    const svg = renderGlyphSvg(document, glyphLayout([input], { height, chipWidth, gap: 0, detail: true }));
    const pressed = o.pressed?.(i);
    const marks = (input.marks ?? []).map((m) => ` mark-${m}`).join('');
    const btn = h('button', {
      type: 'button', class: `bchip${marks}`, 'data-index': i, title: input.title ?? chipTitle(i, input),
      'aria-label': o.chipLabel?.(i) ?? chipTitle(i, input), disabled: o.disabled?.(i) ?? false,
      'aria-pressed': pressed === null || pressed === undefined ? null : String(pressed),
      'aria-invalid': input.marks?.includes('error') ? 'true' : null,
      draggable: o.draggable?.(i) ? 'true' : null,
    }, svg);
    btn.addEventListener('click', (e) => o.onChip?.(i, e));
    if (o.draggable?.(i)) {
      btn.addEventListener('dragstart', (e) => {
        e.dataTransfer?.setData('text/x-remap-layer', String(i));
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
        btn.classList.add('dragging');
      });
      btn.addEventListener('dragend', () => btn.classList.remove('dragging'));
    }
    const cell = h('div', { class: 'chip-cell', role: 'listitem', 'data-index': i }, btn, o.below?.(i) ?? null);
    if (o.onMove) {
      cell.addEventListener('dragover', (e) => {
        if (e.dataTransfer?.types.includes('text/x-remap-layer') && (o.draggable?.(i) ?? false)) {
          e.preventDefault();
          cell.classList.add('drop-target');
        }
      });
      cell.addEventListener('dragleave', () => cell.classList.remove('drop-target'));
      cell.addEventListener('drop', (e) => {
        cell.classList.remove('drop-target');
        const from = Number(e.dataTransfer?.getData('text/x-remap-layer'));
        if (Number.isInteger(from) && from !== i) {
          e.preventDefault();
          o.onMove?.(from, i);
        }
      });
    }
    row.appendChild(cell);
  });
  return row;
}
