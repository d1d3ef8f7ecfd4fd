// The queue and diff panels in headless Chromium with the FakeHost: drag-reordering and
// cancelling send the right remap/queue messages, pause/resume, live loss sparklines from
// remap/epoch notifications; the diff panel aligns two models' chips.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { artifact, usePanels } from './helpers.mjs';

const panels = usePanels();

const queueCalls = (page, action) => page.evaluate((a) => window.__remapTest.requests('remap/queue').filter((r) => r.params.action === a).map((r) => r.params), action);

describe('queue panel', () => {
  let page;
  let errors;
  let queued;

  before(async () => {
    ({ page, errors } = await panels.open({ models: 200, panel: 'queue' }, { width: 1300, height: 800 }));
    await page.waitForSelector('tr.job-row.job-queued');
    queued = await page.$$eval('tr.job-row.job-queued', (rows) => rows.map((r) => Number(r.dataset.job)));
    assert.ok(queued.length >= 3, `the fake queue has ${queued.length} queued jobs`);
  });

  it('lists every job with its estimate and status', async () => {
    const running = await page.locator('tr.job-row.job-running').count();
    assert.ok(running >= 1);
    const first = await page.locator('tr.job-row.job-queued').first().innerText();
    assert.match(first, /~\d+[smh]/, 'a queued job shows an estimated training time');
    assert.match(await page.locator('.queue-summary').innerText(), /running · \d+ queued/);
  });

  it('dragging a queued job onto the first one sends remap/queue reorder with the new order', async () => {
    const last = queued[queued.length - 1];
    const target = queued[0];
    await page.dragAndDrop(`tr.job-row[data-job="${last}"]`, `tr.job-row[data-job="${target}"]`, { targetPosition: { x: 20, y: 2 } });
    await page.waitForFunction(() => window.__remapTest.requests('remap/queue').some((r) => r.params.action === 'reorder'));
    const [reorder] = await queueCalls(page, 'reorder');
    assert.deepEqual(reorder.order, [last, ...queued.slice(0, -1)]);
    // the table follows the server's new order
    await page.waitForFunction((id) => document.querySelector('tr.job-row.job-queued')?.dataset.job === String(id), last);
  });

  it('Alt+↓ moves a queued job down one place', async () => {
    const order = await page.$$eval('tr.job-row.job-queued', (rows) => rows.map((r) => Number(r.dataset.job)));
    await page.focus(`tr.job-row[data-job="${order[0]}"]`);
    await page.keyboard.press('Alt+ArrowDown');
    await page.waitForFunction(() => window.__remapTest.requests('remap/queue').filter((r) => r.params.action === 'reorder').length === 2);
    const calls = await queueCalls(page, 'reorder');
    assert.deepEqual(calls[1].order, [order[1], order[0], ...order.slice(2)]);
  });

  it('cancels a queued and a running job', async () => {
    const job = queued[1];
    await page.click(`tr.job-row[data-job="${job}"] button[data-action="cancel"]`);
    await page.waitForFunction(() => window.__remapTest.requests('remap/queue').some((r) => r.params.action === 'cancel'));
    assert.deepEqual((await queueCalls(page, 'cancel'))[0], { action: 'cancel', jobId: job });
    await page.waitForSelector(`tr.job-row.job-cancelled[data-job="${job}"]`);
    const running = Number(await page.locator('tr.job-row.job-running').first().getAttribute('data-job'));
    await page.click(`tr.job-row[data-job="${running}"] button[data-action="cancel"]`);
    await page.waitForFunction((id) => window.__remapTest.requests('remap/queue').some((r) => r.params.action === 'cancel' && r.params.jobId === id), running);
    await page.waitForFunction((id) => /cancelling/.test(document.querySelector(`tr.job-row[data-job="${id}"]`)?.textContent ?? ''), running);
  });

  it('pauses and resumes the queue', async () => {
    await page.click('button[data-action="pause"]');
    await page.waitForFunction(() => /paused/.test(document.querySelector('.queue-summary').textContent));
    assert.equal(await page.locator('button[data-action="pause"]').innerText(), 'Resume');
    await page.click('button[data-action="pause"]');
    await page.waitForFunction(() => !/paused/.test(document.querySelector('.queue-summary').textContent));
    assert.equal((await queueCalls(page, 'pause')).length, 1);
    assert.equal((await queueCalls(page, 'resume')).length, 1);
  });

  it('draws a live loss sparkline from remap/epoch notifications', async () => {
    const row = page.locator('tr.job-row.job-running').last(); // the first one was cancelled above
    const job = Number(await row.getAttribute('data-job'));
    const model = Number(await row.getAttribute('data-model'));
    await page.evaluate(([j, m]) => {
      for (let e = 1; e <= 3; e++) {
        window.__remapTest.notify('remap/epoch', { jobId: j, modelId: m, epochs: 5,
          epoch: { epoch: e, trainLoss: 2 / e, trainAcc: 0.3 * e, valLoss: 2.2 / e, valAcc: 0.25 * e, lr: 0.001, seconds: 1 } });
      }
    }, [job, model]);
    await page.waitForFunction((j) => document.querySelector(`tr.job-row[data-job="${j}"] canvas.sparkline`)?.dataset.points === '3', job);
    assert.equal(await page.locator(`tr.job-row[data-job="${job}"] canvas.sparkline`).getAttribute('data-last'), (2.2 / 3).toFixed(4));
    assert.match(await page.locator(`tr.job-row[data-job="${job}"]`).innerText(), /running 3\/5/);
    await page.screenshot({ path: artifact('queue.png') });
    assert.deepEqual(errors, []);
  });
});

describe('diff panel', () => {
  it('aligns the chips of two unrelated models and marks the differences', async () => {
    // models 5 and 7 use different templates in the fake (10 and 4 layers)
    const { page, errors, context } = await panels.open({ models: 40, panel: 'diff', diff: { a: 5, b: 7 } }, { width: 1300, height: 700 });
    await page.waitForSelector('.diff-grid .diff-col[data-kind]');
    const kinds = await page.$$eval('.diff-grid .diff-col[data-kind]', (cols) => cols.map((c) => c.dataset.kind));
    assert.ok(kinds.includes('removed') || kinds.includes('inserted'), kinds.join(','));
    assert.ok(kinds.includes('same'));
    // every layer of both models appears once: top chips = 10, bottom chips = 4
    const top = await page.$$eval('.diff-grid .diff-col[data-kind]', (cols) => cols.filter((c) => !c.firstElementChild.classList.contains('diff-empty')).length);
    const bottom = await page.$$eval('.diff-grid .diff-col[data-kind]', (cols) => cols.filter((c) => !c.lastElementChild.classList.contains('diff-empty')).length);
    assert.equal(top, 10);
    assert.equal(bottom, 4);
    assert.equal(await page.locator('p[data-method]').getAttribute('data-method'), 'alignment');
    await page.screenshot({ path: artifact('diff.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
