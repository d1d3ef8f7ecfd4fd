// The map panel's Suggestions tab in headless Chromium against the built bundle and the
// FakeHost: it lists what remap/suggest answers; hovering a row highlights the parent on both
// maps, clicking selects it there; one click on Queue sends remap/applySuggestion and the new
// child appears on the map; Dismiss hides a row and it stays hidden when the list is fetched
// again (after models change). (The static report has none: see report.test.mjs.)
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { artifact, usePanels, waitForMap } from './helpers.mjs';

const panels = usePanels();
const rows = 'li.suggestion';
const canvas = (pane) => `canvas.map-canvas[data-pane="${pane}"]`;

async function keys(page) {
  return page.$$eval(rows, (els) => els.map((e) => e.dataset.key));
}

async function suggestRequests(page) {
  return page.evaluate(() => window.__remapTest.requests('remap/suggest').length);
}

describe('map panel Suggestions tab', () => {
  let page;
  let errors;

  before(async () => {
    ({ page, errors } = await panels.open({ models: 60, drawer: [] }));
    await waitForMap(page, 'left', 60);
    await waitForMap(page, 'right', 1);
    await page.click('.tablist [role="tab"][data-tab="suggestions"]');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 8, rows);
  });

  it('lists the server\'s suggestions with kind, parent, cost and reason', async () => {
    const expected = await page.evaluate(() => window.__remapTest.requests('remap/suggest')[0].params);
    assert.deepEqual(expected, { n: 8 });
    const first = page.locator(rows).first();
    assert.match(await first.locator('.suggestion-title').textContent(), /^ablate model #\d+$/);
    assert.match(await first.locator('.suggestion-cost').textContent(), /params · 5 epochs/);
    assert.match(await first.locator('.suggestion-reason').textContent(), /accuracy–size front/);
    assert.equal(await page.locator(`${rows}[data-kind="sample"]`).count(), 0, 'the sample is ninth: not among 8');
    await page.screenshot({ path: artifact('suggestions-tab.png') });
  });

  it('hovering a suggestion highlights its parent on both maps; clicking selects it there', async () => {
    const row = page.locator(rows).nth(2);
    const parent = await row.getAttribute('data-parent');
    await row.hover();
    for (const pane of ['left', 'right']) {
      await page.waitForFunction(([sel, id]) => document.querySelector(sel).dataset.hovered === id, [canvas(pane), parent]);
    }
    await page.mouse.move(5, 5); // off the row: the highlight goes
    await page.waitForFunction((sel) => document.querySelector(sel).dataset.hovered === '', canvas('left'));
    await row.click();
    for (const pane of ['left', 'right']) {
      await page.waitForFunction(([sel, id]) => document.querySelector(sel).dataset.selected === id, [canvas(pane), parent]);
    }
    assert.equal(await row.getAttribute('aria-selected'), 'true');
  });

  it('one click on Queue applies the suggestion; the child appears on the map and the list refreshes', async () => {
    const before = await page.evaluate(() => window.__remapTest.models.length);
    const fetches = await suggestRequests(page);
    const row = page.locator(rows).first();
    const key = await row.getAttribute('data-key');
    const parent = Number(await row.getAttribute('data-parent'));
    await row.locator('[data-action="queue-suggestion"]').click();
    await page.waitForFunction(() => window.__remapTest.requests('remap/applySuggestion').length === 1);
    const sent = await page.evaluate(() => window.__remapTest.requests('remap/applySuggestion')[0].params);
    assert.deepEqual(sent, { kind: 'ablate', parent, changes: [{ op: 'remove', index: 0 }] });
    await waitForMap(page, 'left', before + 1); // the modelsChanged notification brought the child
    await page.waitForFunction((n) => window.__remapTest.requests('remap/suggest').length > n, fetches);
    await page.waitForFunction(([sel, k]) => ![...document.querySelectorAll(sel)].some((e) => e.dataset.key === k), [rows, key]);
    assert.match(await page.locator('.message-line, [role="status"]').first().textContent(), /Queued model #\d+/);
  });

  it('Dismiss hides a suggestion, and it stays hidden when the list is fetched again', async () => {
    const row = page.locator(rows).nth(1);
    const key = await row.getAttribute('data-key');
    await row.locator('[data-action="dismiss-suggestion"]').click();
    await page.waitForFunction(([sel, k]) => ![...document.querySelectorAll(sel)].some((e) => e.dataset.key === k), [rows, key]);
    const sent = await page.evaluate(() => window.__remapTest.requests('remap/dismissSuggestion').map((r) => r.params));
    assert.deepEqual(sent, [{ key }]);
    const fetches = await suggestRequests(page);
    await page.evaluate(() => window.__remapTest.notify('remap/modelsChanged', { added: [], updated: [1] }));
    await page.waitForFunction((n) => window.__remapTest.requests('remap/suggest').length > n, fetches);
    // the fake has nine: one queued and one dismissed leave seven
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 7, rows);
    assert.equal(await page.locator(`${rows}[data-kind="sample"]`).count(), 1);
    assert.ok(!(await keys(page)).includes(key), `${key} stays dismissed`);
    assert.deepEqual(errors, []);
  });
});
