import { describe, expect, it } from 'vitest';
import { MIN_PANE, mapLayout } from '../../webview/src/layout';

describe('map layout', () => {
  it('puts the maps side by side in a wide panel and stacks them in a narrow or tall one', () => {
    expect(mapLayout(1380, 456)).toBe('row');
    expect(mapLayout(980, 344)).toBe('row');
    expect(mapLayout(540, 456)).toBe('column'); // side by side would give 266 px wide maps
    expect(mapLayout(880, 1400)).toBe('column'); // portrait: stacked maps are larger
  });
  it('never puts two panes narrower than a usable map side by side', () => {
    for (const w of [300, 420, 600]) expect(mapLayout(w, 300)).toBe('column');
    expect((616 - 8) / 2).toBeGreaterThanOrEqual(MIN_PANE.width);
    expect(mapLayout(616, 250)).toBe('row');
  });
});
