// The map panel in headless Chromium against the built bundle and the FakeHost: 5,000
// models render on both panes, hover shows the right tooltip, brushing adds to the drawer,
// class selection recolours, keyboard navigation, zoom, and state surviving a reload.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { artifact, usePanels, waitForMap } from './helpers.mjs';

const panels = usePanels();

const left = 'canvas.map-canvas[data-pane="left"]';

/** Keep a copy of the left canvas pixels under `key`; return how many pixels differ from `key0`. */
async function snapshotPixels(page, key, compareTo) {
  return page.evaluate(([sel, k, c]) => {
    const canvas = document.querySelector(sel);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    window.__px = window.__px || {};
    window.__px[k] = data;
    if (!c) return 0;
    const old = window.__px[c];
    let diff = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== old[i] || data[i + 1] !== old[i + 1] || data[i + 2] !== old[i + 2] || data[i + 3] !== old[i + 3]) diff++;
    }
    return diff;
  }, [left, key, compareTo]);
}

async function frames(page) {
  return Number(await page.locator(left).getAttribute('data-frames'));
}

/** Wait for the next drawn frame of the left pane (redraws are scheduled on rAF). */
async function nextFrame(page, since) {
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel).dataset.frames) > n, [left, since]);
}

describe('map panel with 5,000 models', () => {
  let page;
  let errors;

  before(async () => {
    ({ page, errors } = await panels.open({ models: 5000, drawer: [] }));
    await waitForMap(page, 'left', 5000);
    await waitForMap(page, 'right', 1);
  });

  it('renders every model on both panes without errors or CSP violations', async () => {
    const counts = await page.$$eval('canvas.map-canvas', (cs) => cs.map((c) => [c.dataset.view, Number(c.dataset.points)]));
    assert.equal(counts[0][0], 'architecture');
    assert.equal(counts[0][1], 5000);
    assert.equal(counts[1][0], 'prediction');
    assert.ok(counts[1][1] > 3000 && counts[1][1] < 5000, `prediction map shows trained models only, got ${counts[1][1]}`);
    // pixels were drawn: a good share of the canvas is not blank
    const inked = await page.$eval(left, (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n / (d.length / 4);
    });
    assert.ok(inked > 0.05, `only ${(inked * 100).toFixed(1)}% of the canvas is drawn`);
    await page.screenshot({ path: artifact('map-5000.png') });
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(errors, []);
  });

  it('Tab reaches the map and the arrow keys move the hovered model', async () => {
    await page.evaluate(() => document.activeElement?.blur());
    let onCanvas = false;
    for (let i = 0; i < 12 && !onCanvas; i++) {
      await page.keyboard.press('Tab');
      onCanvas = await page.evaluate(() => document.activeElement?.classList.contains('map-canvas') ?? false);
    }
    assert.ok(onCanvas, 'Tab never reached a map canvas');
    await page.keyboard.press('ArrowRight');
    const first = await page.locator(left).getAttribute('data-hovered');
    assert.match(first, /^\d+$/);
    await page.keyboard.press('ArrowRight');
    const second = await page.locator(left).getAttribute('data-hovered');
    assert.match(second, /^\d+$/);
    assert.notEqual(second, first);
    // the tooltip names the hovered model
    await page.waitForSelector(`.map-tooltip[data-model="${second}"]:not([hidden])`);
    // (one naming everywhere: "#id", never the "m<id>" older servers synthesized, which the fake still sends)
    const tip = await page.locator('.map-tooltip').first().innerText();
    assert.match(tip, new RegExp(`^#${second} · `));
    assert.doesNotMatch(tip, new RegExp(`m${second}\\b`));
    // Enter inspects it; the inspector's header names it the same way
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.inspector[data-model="${second}"]`);
    assert.equal((await page.locator(`.inspector[data-model="${second}"] .inspector-header h2`).innerText()).trim(), `#${second}`);
    // Space adds it to the drawer through a HostCommand
    await page.keyboard.press(' ');
    await page.waitForFunction((id) => window.__remapTest.commands('addToDrawer').some((c) => c.modelIds.includes(Number(id))), second);
    await page.waitForSelector(`tr.drawer-row[data-model="${second}"]`);
    await page.keyboard.press('Escape');
  });

  it('hovering a point with the mouse shows the tooltip of that model', async () => {
    await page.focus(left);
    await page.keyboard.press('ArrowLeft');
    const id = await page.locator(left).getAttribute('data-hovered');
    const x = Number(await page.locator(left).getAttribute('data-hover-x'));
    const y = Number(await page.locator(left).getAttribute('data-hover-y'));
    await page.keyboard.press('Escape');
    await page.waitForSelector('.map-pane[data-pane="left"] .map-tooltip[hidden]', { state: 'attached' });
    const box = await page.locator(left).boundingBox();
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForSelector(`.map-pane[data-pane="left"] .map-tooltip[data-model="${id}"]:not([hidden])`);
    const text = await page.locator('.map-pane[data-pane="left"] .map-tooltip').innerText();
    assert.match(text, new RegExp(`^#${id} · `));
    assert.match(text, /Val acc/);
    // the glyph is in the tooltip, one chip per layer
    const chips = await page.$$eval('.map-pane[data-pane="left"] .map-tooltip svg.glyph g.chip', (g) => g.length);
    assert.ok(chips >= 4, `tooltip glyph has ${chips} chips`);
    // linked hover: the other pane knows the hovered model too
    assert.equal(await page.locator('canvas.map-canvas[data-pane="right"]').getAttribute('data-hovered'), id);
    await page.mouse.move(box.x + box.width + 200, box.y - 200);
  });

  it('brushing a rectangle adds every model inside it to the drawer', async () => {
    const before = (await page.evaluate(() => window.__remapTest.commands('addToDrawer').length));
    const box = await page.locator(left).boundingBox();
    const x0 = box.x + box.width * 0.3;
    const y0 = box.y + box.height * 0.3;
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + box.width * 0.1, y0 + box.height * 0.1, { steps: 4 });
    await page.mouse.move(x0 + box.width * 0.2, y0 + box.height * 0.2, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction((n) => window.__remapTest.commands('addToDrawer').length > n, before);
    const cmd = await page.evaluate(() => window.__remapTest.commands('addToDrawer').at(-1));
    assert.ok(cmd.modelIds.length >= 5, `brushed only ${cmd.modelIds.length} models`);
    assert.ok(cmd.modelIds.length < 5000);
    // the extension answered with a new context: the drawer lists them
    const rows = await page.$$eval('tr.drawer-row', (trs) => trs.map((t) => Number(t.dataset.model)));
    for (const id of cmd.modelIds.slice(0, 20)) assert.ok(rows.includes(id), `model ${id} missing from the drawer`);
    // brushed models are selected: selecting two of them enables Diff
    await page.screenshot({ path: artifact('map-brushed.png') });
  });

  it('selecting a class recolours the map by per-class accuracy, clearing restores it', async () => {
    await page.click('[role="tab"][data-tab="data"]');
    await page.waitForSelector('.class-card[data-class="3"]');
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    let f = await frames(page);
    await page.evaluate(() => document.activeElement?.blur());
    await page.waitForTimeout(50);
    f = await frames(page);
    await snapshotPixels(page, 'before');
    await page.click('.class-card[data-class="3"]');
    await page.waitForFunction((sel) => document.querySelector(sel).dataset.colour === 'class:3', left);
    // per-class accuracy of every model comes in one request, not one remap/getModel per model
    const detailsBefore = await page.evaluate(() => window.__remapTest.requests('remap/getModel').length);
    await page.waitForFunction(() => window.__remapTest.requests('remap/perClassAccuracy').length === 1);
    await page.waitForFunction(() => !/loaded \d+ of/.test(document.querySelector('.per-class-progress')?.textContent ?? 'x'), null, { timeout: 60000 });
    await nextFrame(page, f);
    await page.mouse.move(5, 5);
    await page.waitForTimeout(100);
    const changed = await snapshotPixels(page, 'class', 'before');
    const detailsAfter = await page.evaluate(() => window.__remapTest.requests('remap/getModel').length);
    assert.ok(detailsAfter - detailsBefore <= 1, `recolouring fetched ${detailsAfter - detailsBefore} models' details`);
    assert.equal(await page.evaluate(() => window.__remapTest.requests('remap/perClassAccuracy').length), 1);
    assert.ok(changed > 500, `only ${changed} pixels changed after selecting a class`);
    assert.match(await page.locator('.legend').innerText(), /accuracy on door/);
    await page.screenshot({ path: artifact('map-class.png') });
    f = await frames(page);
    await page.click('.class-card[data-class="3"]');
    await page.mouse.move(5, 5);
    await page.waitForFunction((sel) => document.querySelector(sel).dataset.colour === 'accuracy', left);
    await nextFrame(page, f);
    await page.waitForTimeout(100);
    const back = await snapshotPixels(page, 'after', 'before');

    assert.ok(back < changed / 10, `clearing the class left ${back} pixels different (was ${changed})`);
  });

  it('brushing the accuracy histogram filters the map; double-click clears it', async () => {
    const f = await frames(page);
    await snapshotPixels(page, 'unfiltered');
    const hist = await page.locator('canvas.histogram[data-filter="acc"]').boundingBox();
    await page.mouse.move(hist.x + hist.width * 0.75, hist.y + hist.height / 2);
    await page.mouse.down();
    await page.mouse.move(hist.x + hist.width * 0.98, hist.y + hist.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => window.__remapTest.lastState?.filters?.acc?.[0] > 0.7);
    assert.notEqual(await page.locator('.filter-range').first().innerText(), 'all');
    await nextFrame(page, f);
    await page.mouse.move(5, 5);
    await page.waitForTimeout(100);
    const dimmed = await snapshotPixels(page, 'filtered', 'unfiltered');
    assert.ok(dimmed > 500, `filtering changed only ${dimmed} pixels`);
    await page.dblclick('canvas.histogram[data-filter="acc"]');
    await page.waitForFunction(() => window.__remapTest.lastState?.filters?.acc === null);
  });

  it('a context with a new focus model inspects it and brings it into view', async () => {
    const box = await page.locator(left).boundingBox();
    await page.mouse.move(box.x + 20, box.y + 20);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -400);
    await page.waitForFunction((sel) => Number(document.querySelector(sel).dataset.zoom) > 8, left);
    const zoomBefore = await page.locator(left).getAttribute('data-zoom');
    await page.evaluate(() => window.__remapTest.sendContext({ focusModel: 4321 }));
    await page.waitForSelector('.inspector[data-model="4321"]', { state: 'attached' });
    assert.equal(await page.locator(left).getAttribute('data-zoom'), zoomBefore, 'revealing keeps the zoom');
    // the model is now inside the viewport
    await page.waitForFunction((sel) => {
      const c = document.querySelector(sel);
      const x = Number(c.dataset.inspectedX);
      const y = Number(c.dataset.inspectedY);
      return x >= 0 && y >= 0 && x <= c.clientWidth && y <= c.clientHeight;
    }, left);
    await page.click('.map-pane[data-pane="left"] button[aria-label="Reset zoom"]');
  });

  it('wheel zooms about the pointer', async () => {
    const box = await page.locator(left).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((sel) => Number(document.querySelector(sel).dataset.zoom) > 1.5, left);
  });
});

describe('panel state', () => {
  it('survives a reload (setState / getState round trip)', async () => {
    const { page, context } = await panels.open({ models: 400, drawer: [1, 2] }, { width: 1200, height: 850 });
    await waitForMap(page, 'left', 400);
    await page.selectOption('.map-pane[data-pane="right"] select.view-select', 'accuracy');
    const box = await page.locator(left).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await page.click('tr.drawer-row[data-model="2"]');
    await page.waitForSelector('.inspector[data-model="2"]', { state: 'attached' });
    await page.click('[role="tab"][data-tab="queue"]');
    await page.click('button[data-action="pan-mode"]');
    const zoom = await page.locator(left).getAttribute('data-zoom');
    await page.waitForFunction(() => {
      const s = window.__remapTest.lastState;
      return s?.tab === 'queue' && s?.focusModel === 2 && s?.panMode === true && s?.panes?.[1]?.view === 'accuracy';
    });
    await page.reload();
    await page.waitForSelector('#app[data-ready="true"]');
    await waitForMap(page, 'left', 400);
    assert.equal(await page.locator('.map-pane[data-pane="right"] select.view-select').inputValue(), 'accuracy');
    assert.equal(await page.locator('canvas.map-canvas[data-pane="right"]').getAttribute('data-view'), 'accuracy');
    assert.equal(await page.locator(left).getAttribute('data-zoom'), zoom);
    assert.equal(await page.locator('[role="tab"][data-tab="queue"]').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('button[data-action="pan-mode"]').getAttribute('aria-pressed'), 'true');
    const saved = await page.evaluate(() => window.__remapTest.lastState ?? JSON.parse(window.sessionStorage.getItem('remap-fake-vscode-state')));
    assert.equal(saved.panes[0].zoom.k.toFixed(3), zoom);
    assert.equal(saved.focusModel, 2);
    await page.click('[role="tab"][data-tab="inspector"]');
    await page.waitForSelector('.inspector[data-model="2"]');
    await context.close();
  });
});
