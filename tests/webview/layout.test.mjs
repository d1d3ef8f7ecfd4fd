// The map panel's layout at several viewport sizes (an editor group beside another, a
// narrow side column, a short window): both maps keep a usable size (≥ 300×200 CSS px),
// never overlap and sit above the fold; side by side when wide, stacked when narrow; the
// details area (drawer + tabs) can be collapsed to give the maps the whole panel.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { artifact, usePanels, waitForMap } from './helpers.mjs';

const panels = usePanels();

/** The two map canvases' boxes (CSS px) once the layout has settled. */
async function canvasBoxes(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('canvas.map-canvas')].every((c) => Number(c.dataset.frames) > 0));
  return page.$$eval('canvas.map-canvas', (cs) => cs.map((c) => {
    const r = c.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height, right: r.right, bottom: r.bottom };
  }));
}

function assertUsable(boxes, viewport, label) {
  assert.equal(boxes.length, 2, label);
  for (const b of boxes) {
    assert.ok(b.width >= 300 && b.height >= 200, `${label}: a map is ${Math.round(b.width)}×${Math.round(b.height)} px`);
    assert.ok(b.x >= 0 && b.right <= viewport.width + 0.5, `${label}: a map is cut off horizontally`);
    assert.ok(b.y >= 0 && b.bottom <= viewport.height + 0.5, `${label}: a map is below the fold (bottom ${Math.round(b.bottom)})`);
  }
  const [a, c] = boxes;
  const overlap = Math.max(0, Math.min(a.right, c.right) - Math.max(a.x, c.x)) * Math.max(0, Math.min(a.bottom, c.bottom) - Math.max(a.y, c.y));
  assert.equal(overlap, 0, `${label}: the maps overlap`);
}

const SIZES = [
  { width: 1400, height: 900, layout: 'row', tabs: true },
  { width: 1000, height: 700, layout: 'row', tabs: true },
  { width: 800, height: 500, layout: 'row', tabs: false },
  { width: 1000, height: 560, layout: 'row', tabs: false },
  { width: 560, height: 900, layout: 'column', tabs: false },
  { width: 500, height: 600, layout: 'column', tabs: false },
];

describe('map panel layout', () => {
  for (const size of SIZES) {
    it(`keeps both maps usable at ${size.width}×${size.height} (${size.layout})`, async () => {
      const { page, context, errors } = await panels.open({ models: 300 }, size);
      try {
        await waitForMap(page, 'left', 1);
        assert.equal(await page.locator('.maps').getAttribute('data-layout'), size.layout);
        assertUsable(await canvasBoxes(page), size, `${size.width}×${size.height}`);
        if (size.tabs) {
          // the glyph key beside the drawer, as in the original: one chip per colour
          assert.equal(await page.locator('.drawer .glyph-legend .glyph-legend-item').count(), 7);
          assert.ok(await page.locator('.glyph-legend-item[data-category="conv"]').isVisible());
          const tabs = await page.locator('.tablist').boundingBox();
          assert.ok(tabs && tabs.y + tabs.height <= size.height, 'the inspector tabs are above the fold');
        }
        await page.screenshot({ path: artifact(`layout-${size.width}x${size.height}-details.png`) });
        // Hiding the details gives the maps the panel; showing them again restores it.
        await page.click('button[data-action="toggle-details"]');
        await page.waitForSelector('.remap-app.lower-collapsed');
        assert.equal(await page.locator('button[data-action="toggle-details"]').getAttribute('aria-expanded'), 'false');
        const before = await canvasBoxes(page);
        assertUsable(before, size, `${size.width}×${size.height} collapsed`);
        const tabs = await page.locator('.tablist').boundingBox();
        if (size.height >= 700) assert.ok(tabs && tabs.y + tabs.height <= size.height + 0.5, 'the tab strip stays reachable when collapsed');
        await page.screenshot({ path: artifact(`layout-${size.width}x${size.height}-collapsed.png`) });
        await page.click('.tablist [data-tab="inspector"]');
        await page.waitForSelector('.remap-app:not(.lower-collapsed)');
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  it('re-arranges when the panel is resized (a second panel opened beside it)', async () => {
    const { page, context } = await panels.open({ models: 300 }, { width: 1400, height: 900 });
    try {
      await waitForMap(page, 'left', 1);
      assert.equal(await page.locator('.maps').getAttribute('data-layout'), 'row');
      await page.setViewportSize({ width: 560, height: 900 });
      await page.waitForSelector('.maps[data-layout="column"]');
      assertUsable(await canvasBoxes(page), { width: 560, height: 900 }, 'after resizing');
    } finally {
      await context.close();
    }
  });

  it('switches a pane between UMAP and MDS and the prediction distance on the map, and keeps the choices', async () => {
    const { page, context } = await panels.open({ models: 300 }, { width: 1400, height: 900 });
    try {
      await waitForMap(page, 'left', 1);
      const select = '.map-pane[data-pane="left"] select.method-select';
      assert.equal(await page.locator(select).inputValue(), 'umap');
      await page.selectOption(select, 'mds');
      await page.waitForFunction(() => window.__remapTest.requests('remap/getMap').some((r) => r.params.method === 'mds' && r.params.view === 'architecture'));
      await page.waitForFunction(() => /MDS/.test(document.querySelector('.map-pane[data-pane="left"] .map-caption').textContent));
      // the prediction pane also chooses its distance; the architecture pane has none
      const distance = '.map-pane[data-pane="right"] select.distance-select';
      assert.equal(await page.locator('.map-pane[data-pane="left"] select.distance-select').isHidden(), true);
      assert.equal(await page.locator(distance).inputValue(), 'disagreement');
      await page.selectOption(distance, 'per_class');
      await page.waitForFunction(() => window.__remapTest.requests('remap/getMap').some((r) => r.params.view === 'prediction' && r.params.distance === 'per_class'));
      // the accuracy view has axes, not a projection
      await page.selectOption('.map-pane[data-pane="right"] select.view-select', 'accuracy');
      assert.equal(await page.locator('.map-pane[data-pane="right"] select.method-select').isHidden(), true);
      // the choice survives a reload of the panel
      await page.reload();
      await page.waitForSelector('#app[data-ready="true"]');
      await waitForMap(page, 'left', 1);
      await page.waitForFunction(() => window.__remapTest.requests('remap/getMap').some((r) => r.params.method === 'mds'));
      assert.equal(await page.locator(select).inputValue(), 'mds');
      await page.selectOption('.map-pane[data-pane="right"] select.view-select', 'prediction');
      assert.equal(await page.locator(distance).inputValue(), 'per_class');
    } finally {
      await context.close();
    }
  });
});
