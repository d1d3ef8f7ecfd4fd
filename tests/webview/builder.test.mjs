// The builder panel (Generate on one model) in headless Chromium with the FakeHost:
// hand-crafted edits are validated live with remap/validate, a server error lands on the
// offending chip and blocks spawning, a valid edit spawns remap/generate {kind:'handcraft'};
// ablation and variation send the selected layers / enabled change types.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { artifact, usePanels } from './helpers.mjs';

const panels = usePanels();

describe('builder panel', () => {
  let page;
  let errors;

  before(async () => {
    ({ page, errors } = await panels.open({ models: 60, panel: 'builder', focusModel: 5 }, { width: 1300, height: 900 }));
    await page.waitForSelector('.generate .bchip[data-index="0"]');
  });

  it('hand-crafted edits are validated live and a server error is shown on the offending chip', async () => {
    await page.click('input[data-mode="handcraft"]');
    await page.waitForSelector('.handcraft .bchip[data-index="0"]');
    const validations = () => page.evaluate(() => window.__remapTest.requests('remap/validate').length);
    assert.equal(await validations(), 0, 'nothing to validate before the first edit');
    // the fake server will reject any spec whose first layer is a 7×7 convolution
    await page.evaluate(() => {
      window.__remapTest.validateError = (spec) => (spec.layers[0].kernelSize === 7
        ? { index: 0, message: 'layer 0 (Conv2D 7×7/16): kernel 7 is too large for this test' } : null);
    });
    await page.click('.handcraft .bchip[data-index="0"]');
    await page.selectOption('.editor select[data-field="kernelSize"]', '7');
    await page.waitForFunction(() => window.__remapTest.requests('remap/validate').length === 1);
    const sent = await page.evaluate(() => window.__remapTest.requests('remap/validate')[0].params.spec);
    assert.equal(sent.layers[0].kernelSize, 7, 'the edited spec is what gets validated');
    assert.equal(sent.layers.length, 10);
    // the error is ON chip 0, with the server's message, and spawning is blocked
    await page.waitForSelector('.handcraft .bchip.mark-error[data-index="0"][aria-invalid="true"]');
    const msg = await page.locator('.chip-cell[data-index="0"] .chip-error-msg').innerText();
    assert.match(msg, /kernel 7 is too large/);
    assert.equal(await page.locator('.handcraft .bchip.mark-error').count(), 1);
    assert.equal(await page.locator('.builder-summary').getAttribute('data-state'), 'invalid');
    assert.equal(await page.locator('.builder-summary .params').innerText(), 'Params —', 'no parameter count for an invalid model');
    assert.equal(await page.locator('button[data-action="spawn"]').isDisabled(), true);
    await page.screenshot({ path: artifact('builder-error.png') });

    // change it again to a valid kernel: a new validation, the error disappears
    await page.selectOption('.editor select[data-field="kernelSize"]', '5');
    await page.waitForFunction(() => window.__remapTest.requests('remap/validate').length === 2);
    await page.waitForSelector('.builder-summary[data-state="valid"]');
    assert.equal(await page.locator('.handcraft .bchip.mark-error').count(), 0);
    // shapes after each layer come from the validation: 28−5+1 = 24
    assert.equal(await page.locator('.chip-cell[data-index="0"] .shape').innerText(), '16×24×24');
  });

  it('insert, remove and reorder edits are logged; spawn sends the edit list', async () => {
    // insert a dropout before layer 2 through the gap button
    await page.click('.handcraft .chip-gap[data-gap="2"]');
    await page.selectOption('.editor select[aria-label="Layer type to insert"]', 'dropout');
    await page.click('button[data-action="insert"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/validate').length === 3);
    // remove layer 1 (the activation)
    await page.click('.handcraft .bchip[data-index="1"]');
    await page.click('.editor button[data-action="remove"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/validate').length === 4);
    // drag layer 0 onto layer 2 (a move edit)
    await page.dragAndDrop('.handcraft .bchip[data-index="0"]', '.handcraft .chip-cell[data-index="2"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/validate').length === 5);
    const log = await page.$$eval('.edit-log li', (li) => li.map((l) => l.textContent));
    assert.deepEqual(log, [
      'Changed kernel_size at index 0 from 3 to 7',
      'Changed kernel_size at index 0 from 7 to 5',
      'Inserted Dropout 0.25 before index 2',
      'Removed Activation relu at index 1',
      'Moved Conv2D 5×5/16 from index 0 to 2',
    ]);
    await page.waitForSelector('.builder-summary[data-state="valid"]');
    await page.click('button[data-action="spawn"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/generate').length === 1);
    const params = await page.evaluate(() => window.__remapTest.requests('remap/generate')[0].params);
    assert.equal(params.kind, 'handcraft');
    assert.equal(params.modelId, 5);
    assert.deepEqual(params.edits.map((e) => e.op), ['set', 'set', 'insert', 'remove', 'move']);
    assert.deepEqual(params.edits[2], { op: 'insert', index: 2, layer: { type: 'dropout', rate: 0.25 } });
    assert.deepEqual(params.edits[4], { op: 'move', from: 0, to: 2 });
    // the new child shows up in the children table with its Δparams
    await page.waitForSelector('.children-table tr.child-row.fresh');
    assert.match(await page.locator('.children-table tr.child-row.fresh').first().innerText(), /handcrafted/);
  });

  it('ablation sends the selected layers; variation sends the enabled change types', async () => {
    await page.click('input[data-mode="ablate"]');
    await page.click('.generate .bchip[data-index="1"]');
    await page.click('.generate .bchip[data-index="4"]');
    assert.equal(await page.locator('.generate .bchip[data-index="9"]').isDisabled(), true, 'the output layer cannot be ablated');
    await page.click('button[data-action="ablate"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/generate').length === 2);
    const ablate = await page.evaluate(() => window.__remapTest.requests('remap/generate')[1].params);
    assert.deepEqual(ablate, { kind: 'ablate', modelId: 5, layers: [1, 4], inheritWeights: true });

    await page.click('input[data-mode="vary"]');
    // Only what can apply is offered: the output layer takes an insertion before it, nothing else.
    assert.equal(await page.locator('.chip-cell[data-index="9"] button[data-change]').count(), 0);
    assert.equal(await page.locator('.chip-cell[data-index="3"] button[data-change]').count(), 3);
    await page.click('.generate .chip-gap[data-gap="0"]'); // no insertions before layer 0
    await page.click('.chip-cell[data-index="3"] button[data-change="replace"]'); // no replacing layer 3
    await page.fill('input[data-field="count"]', '12');
    await page.dispatchEvent('input[data-field="count"]', 'change');
    await page.click('button[data-action="vary"]');
    await page.waitForFunction(() => window.__remapTest.requests('remap/generate').length === 3);
    const vary = await page.evaluate(() => window.__remapTest.requests('remap/generate')[2].params);
    assert.equal(vary.kind, 'vary');
    assert.equal(vary.count, 12);
    assert.equal(vary.maxChanges, 3);
    const enabled = vary.enabled.map(([i, t]) => `${i}:${t}`);
    assert.ok(!enabled.includes('0:insert'));
    assert.ok(!enabled.includes('3:replace'));
    assert.ok(enabled.includes('3:remove') && enabled.includes('0:remove'));
    for (const t of ['remove', 'replace', 'reparameterise']) assert.ok(!enabled.includes(`9:${t}`), `the output layer cannot take ${t}`);
    assert.ok(enabled.includes('9:insert'));
    assert.equal(enabled.length, 9 * 4 + 1 - 2);
    assert.deepEqual(errors, []);
  });
});
