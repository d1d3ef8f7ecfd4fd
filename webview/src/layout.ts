/**
 * How the map panel arranges its two map panes (pure): side by side or stacked, whichever
 * gives both panes the larger size at a landscape aspect, and never side by side when a
 * pane would be narrower than a usable map.
 */

export type MapLayout = 'row' | 'column';

/** The smallest map (CSS px) that still shows separable points and its axes. */
export const MIN_PANE = { width: 300, height: 200 } as const;

const GAP = 8;
/** Panes are judged at this width:height aspect (maps are drawn wider than tall). */
const ASPECT = 1.5;

/** Arrangement for a maps area of `width` × `height` CSS px. */
export function mapLayout(width: number, height: number): MapLayout {
  const half = (width - GAP) / 2;
  if (half < MIN_PANE.width && width >= MIN_PANE.width) return 'column';
  const size = (w: number, h: number): number => Math.min(w / ASPECT, h);
  return size(width, (height - GAP) / 2) > size(half, height) ? 'column' : 'row';
}

/** The height the maps area may use in a viewport `viewportHeight` tall (see remap.css). */
export function mapsHeight(viewportHeight: number, collapsed: boolean): number {
  return collapsed ? viewportHeight - 110 : viewportHeight * 0.56 - 48;
}
