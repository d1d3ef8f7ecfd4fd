// End-to-end: the packaged REMAP extension in a real code-server, the real Python language
// server (the repo's .venv), real training on a tiny .npz, driven by headless Chromium.
// One workbench session; the steps build on each other (map → inspect → ablate → queue →
// train → export + code lens → restart → reload restores the panel → clean logs).
// Prerequisites: npm run e2e:install. Screenshots: tests/e2e/artifacts/.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe } from 'node:test';
import * as h from './harness.mjs';

const LOG = h.EXTENSION_LOG;
const EXTHOST_LOG = /remoteexthost\.log$/;

let cs;
let page;
let demo;

/** Model rows of the demo workspace, straight from the CLI (`remap list --json`). */
async function listModels() {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)(h.PYTHON, ['-m', 'remap', 'list', '-w', demo.ws, '--json'], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout);
}

/** One model's details from the CLI (`remap show ID --json`: layers with params, the run). */
async function showModel(id) {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)(h.PYTHON, ['-m', 'remap', 'show', String(id), '-w', demo.ws, '--json'], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout);
}

/** How every view names an unnamed model (protocol/models.ts): "#id". */
const label = (id) => `#${id}`;

/** The model that the builder and inherit steps ablate (chosen by the builder step). */
let inheritParent;

/** The map panel's page (found by `#app[data-panel="map"]`, so other visible panels do not matter). */
const mapFrame = () => h.panelFrame(page, 'map');
const mapCanvas = async (pane = 'left') => (await mapFrame()).locator(`canvas.map-canvas[data-pane="${pane}"]`);

async function mapPoints(pane = 'left') {
  return Number(await (await mapCanvas(pane)).getAttribute('data-points', { timeout: 5_000 }));
}

/** List rows (quick pick or tree) under `scope` whose label is exactly `label`. */
function rowLabelled(scope, label) {
  return scope.locator('.monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }),
  });
}

const quickPickRow = (text) => rowLabelled(page.locator('.quick-input-widget'), text);

/** Add model `id` to the drawer with the palette's "REMAP: Add to Drawer" (picked by its label). */
async function addToDrawer(id) {
  await h.runCommandForInput(page, 'REMAP: Add to Drawer', /Add to Drawer/);
  const qi = h.quickInput(page);
  await qi.fill(label(id));
  await quickPickRow(label(id)).first().click();
}

/** Inspect model `id` on the map by clicking its row in the map panel's drawer; returns the inspector. */
async function inspectFromMapDrawer(id) {
  const frame = await mapFrame();
  await frame.locator(`tr.drawer-row[data-model="${id}"]`).click({ timeout: 30_000 });
  const inspector = frame.locator(`.inspector[data-model="${id}"]`);
  await inspector.waitFor({ timeout: 30_000 });
  return inspector;
}

/** The inspector's metrics value in the row headed `name` ('' while that row is not shown). */
async function metric(inspector, name) {
  const table = inspector.locator('table.metrics').first();
  if (!(await table.count())) return '';
  return table.evaluate((t, n) => {
    for (const tr of t.querySelectorAll('tr')) if (tr.querySelector('th')?.textContent === n) return tr.querySelector('td')?.textContent ?? '';
    return '';
  }, name);
}

async function statusBarText() {
  return (await h.remapStatusItem(page).textContent({ timeout: 5_000 })) ?? '';
}

/** Make the REMAP view container visible and return the pane of view `name`. */
async function remapView(name) {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }) });
  if (!(await pane.first().isVisible().catch(() => false))) {
    await page.locator('.activitybar .action-item a[aria-label^="REMAP"]').first().click();
  }
  await pane.first().waitFor({ state: 'visible', timeout: 15_000 });
  const header = pane.first().locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane.first();
}

describe('REMAP in a real VS Code', { timeout: 900_000 }, () => {
  const session = h.demoSession('remap');
  const step = session.step;
  before(() => {
    ({ demo, cs, page } = session);
  });

  step('the status bar shows the queue state', async () => {
    const text = await h.eventually(async () => {
      const s = await statusBarText();
      return /REMAP: (idle|.*queued|.*training)/.test(s) && s;
    }, { message: 'REMAP status bar item' });
    assert.match(text, /REMAP: idle/);
  });

  step('"REMAP: Open Model Map" shows every demo model on the map', async () => {
    await h.runCommand(page, 'REMAP: Open Model Map');
    const n = demo.models.length;
    assert.ok(n >= 5, `the demo made only ${n} models`);
    await (await mapCanvas('left')).waitFor({ timeout: 60_000 });
    const shown = await h.eventually(async () => (await mapPoints('left')) === n && n, { message: `${n} points on the architecture map` });
    assert.equal(shown, n);
    // every demo model is trained, so the prediction map has them all too
    await h.eventually(async () => (await mapPoints('right')) === n, { message: `${n} points on the prediction map` });
  });

  step('clicking a model in the Experiments view inspects it on the map', async () => {
    const parent = demo.models.find((m) => demo.models.some((c) => c.parent_id === m.id));
    assert.ok(parent, 'the demo has a parent with children');
    const pane = await remapView('Experiments');
    const row = rowLabelled(pane, `#${parent.id}`).first();
    await row.waitFor({ timeout: 30_000 });
    const children = demo.models.filter((m) => m.parent_id === parent.id);
    // the parent's groups (Ablations / Variations) are expanded under it, with Δaccuracy
    await pane.locator('.monaco-list-row', { hasText: /Ablations \(\d+\)/ }).first().waitFor({ timeout: 10_000 });
    const childRow = rowLabelled(pane, `#${children[0].id}`).first();
    assert.match((await childRow.textContent()) ?? '', /Δacc/);
    await row.click();
    const inspector = (await mapFrame()).locator(`.inspector[data-model="${parent.id}"]`);
    await inspector.waitFor({ timeout: 30_000 });
    assert.match((await inspector.textContent()) ?? '', /param/i);
  });

  step('the All Models view lists every demo model, best first, and the drawer starts with the best', async () => {
    const n = demo.models.length;
    const best = [...demo.models].sort((a, b) => (b.val_acc ?? -1) - (a.val_acc ?? -1) || a.id - b.id)[0];
    const pane = await remapView('All Models');
    const header = pane.locator('.pane-header');
    // the header's text runs the title into the description ("All Models7 · by accuracy")
    await h.eventually(async () => new RegExp(`(^|\\D)${n} · by accuracy`).test((await header.textContent()) ?? ''),
      { timeout: 30_000, message: `"${n} · by accuracy" on the All Models header` });
    const first = pane.locator('.monaco-list-row').first();
    await h.eventually(async () => ((await first.locator('.label-name').textContent()) ?? '').trim() === `#${best.id}`,
      { timeout: 30_000, message: `#${best.id} first in All Models` });
    const drawerPane = await remapView('Drawer');
    await rowLabelled(drawerPane, `#${best.id}`).first().waitFor({ timeout: 30_000 });
  });

  step('one naming and one order: the side-bar drawer and the map\'s drawer list the same "#id" labels in the same order', async () => {
    const byAcc = [...demo.models].sort((a, b) => (b.val_acc ?? -1) - (a.val_acc ?? -1) || a.id - b.id);
    // the best is in the drawer already; add the worst, then one from the middle (added out of order)
    const added = [byAcc.at(-1), byAcc[Math.floor(byAcc.length / 2)]].filter((m, i, all) => m.id !== byAcc[0].id && all.indexOf(m) === i);
    for (const m of added) await addToDrawer(m.id);
    const inDrawer = new Set([byAcc[0].id, ...added.map((m) => m.id)]);
    const expected = byAcc.filter((m) => inDrawer.has(m.id)).map((m) => label(m.id));
    const drawerPane = await remapView('Drawer');
    const sideBar = () => drawerPane.locator('.monaco-list-row .label-name').allTextContents();
    await h.eventually(async () => (await sideBar()).map((t) => t.trim()).join('|') === expected.join('|'),
      { timeout: 30_000, message: `side-bar drawer lists ${expected.join(', ')}` });
    const frame = await mapFrame();
    const panel = () => frame.locator('tr.drawer-row td.name').allTextContents();
    await h.eventually(async () => (await panel()).map((t) => t.trim()).join('|') === expected.join('|'),
      { timeout: 30_000, message: `the map panel's drawer lists ${expected.join(', ')}` });
    // the label in the tree is the inspector's header and its tooltip name (no "m<id>" anywhere)
    const middle = added.at(-1);
    const inspector = await inspectFromMapDrawer(middle.id);
    assert.equal(((await inspector.locator('.inspector-header h2').textContent()) ?? '').trim(), label(middle.id));
    assert.doesNotMatch((await inspector.textContent()) ?? '', new RegExp(`\\bm${middle.id}\\b`));
  });

  step('the inspector shows a trained model\'s weights line ("weights: 52 KB · re-evaluated 91.1%")', async () => {
    const best = [...demo.models].sort((a, b) => (b.val_acc ?? -1) - (a.val_acc ?? -1) || a.id - b.id)[0];
    const run = (await showModel(best.id)).run;
    assert.ok(run.weights_bytes > 0 && run.reevaluated_acc !== null, 'the demo kept and re-scored the best model\'s weights');
    const inspector = await inspectFromMapDrawer(best.id);
    const text = await h.eventually(async () => {
      const t = await metric(inspector, 'Weights');
      return /^[\d.]+ (B|KB|MB) · re-evaluated \d+\.\d%$/.test(t) && t;
    }, { timeout: 30_000, message: 'the Weights row with size and re-evaluated accuracy' });
    assert.ok(text.endsWith(`re-evaluated ${(run.reevaluated_acc * 100).toFixed(1)}%`), text);
  });

  step('ablating a model from the palette queues its children (queue paused); reorder and cancel inline; the rest train onto the map', async () => {
    const before = (await listModels()).length;
    // a model with no children yet and at least two layers besides the output layer
    const target = demo.models.find(
      (m) => !demo.models.some((c) => c.parent_id === m.id) && m.layers.split('→').length >= 3 && m.origin === 'sampled',
    ) ?? demo.models.find((m) => !demo.models.some((c) => c.parent_id === m.id) && m.layers.split('→').length >= 3);
    assert.ok(target, 'a model to ablate');
    const ablatable = target.layers.split('→').length - 1;

    await h.runCommand(page, 'REMAP: Pause Training Queue');
    await h.eventually(async () => /paused/.test(await statusBarText()), { message: 'status bar says paused' });

    await h.runCommandForInput(page, 'REMAP: Ablate Model', /Ablate Model/);
    const qi = h.quickInput(page);
    await qi.fill(`#${target.id}`);
    await quickPickRow(`#${target.id}`).first().click();
    await qi.waitTitle(new RegExp(`Ablate model #${target.id}`));
    await h.eventually(async () => (await qi.rows.count()) === ablatable, { timeout: 10_000, message: `${ablatable} layers offered` });
    await qi.accept(); // all layers are pre-selected

    const logText = await h.waitForLog(cs.userDataDir, LOG, new RegExp(`ablating model #${target.id}: (\\d+) new model`), { timeout: 60_000 });
    const created = Number(new RegExp(`ablating model #${target.id}: (\\d+) new model`).exec(logText)[1]);
    assert.ok(created >= 1, 'the ablation created children');

    // queued, visibly: the status bar and the Queue view
    const status = await h.eventually(async () => {
      const s = await statusBarText();
      return new RegExp(`paused · ${created} queued`).test(s) && s;
    }, { message: `status bar "paused · ${created} queued"` });
    assert.match(status, /REMAP: paused · \d+ queued/);
    const queue = await remapView('Queue');
    const rows = queue.locator('.monaco-list-row');
    const labels = () => rows.locator('.label-name').allTextContents();
    await h.eventually(async () => (await queue.locator('.monaco-list-row', { hasText: 'queued' }).count()) === created,
      { message: `${created} queued rows in the Queue view` });
    // each queued row says its place in line (1, 2, …), not the server's sort key
    const placesShown = async (n) => {
      const texts = await rows.locator('.label-description').allTextContents();
      return texts.length === n && texts.every((t, i) => t.includes(`queued · position ${i + 1} of ${n}`));
    };
    await h.eventually(() => placesShown(created), { timeout: 10_000, message: `positions 1…${created} in the Queue view` });
    await h.screenshot(page, 'remap-queue.png');

    // inline actions: move the last queued job up (remap/queue reorder), cancel the first one
    assert.ok(created >= 2, `at least two children to reorder (got ${created})`);
    const order = await labels();
    const last = rows.nth(created - 1);
    await last.hover();
    await last.locator('.action-label[aria-label="Move Job Up"]').click();
    const moved = order[created - 1];
    await h.eventually(async () => (await labels()).indexOf(moved) === created - 2, { message: `${moved} moved up one place` });
    const first = rows.nth(0);
    const cancelled = (await first.locator('.label-name').textContent()).trim();
    await first.hover();
    await first.locator('.action-label[aria-label="Cancel Job"]').click();
    await h.eventually(async () => (await rows.count()) === created - 1 && !(await labels()).includes(cancelled),
      { message: `${cancelled} cancelled` });
    await h.eventually(() => placesShown(created - 1), { timeout: 10_000, message: `positions 1…${created - 1} after the cancel` });

    await h.runCommand(page, 'REMAP: Resume Training Queue');
    const trained = created - 1;
    // the architecture map shows every model (the cancelled one too), the prediction map trained ones
    await h.eventually(async () => (await mapPoints('left')) === before + created && (await mapPoints('right')) === before + trained,
      { timeout: 240_000, interval: 1000, message: `${before + created} / ${before + trained} points on the maps after training` });
    const models = await listModels();
    const children = models.filter((m) => m.parent_id === target.id && m.origin === 'ablation');
    assert.equal(children.length, created);
    assert.deepEqual(children.map((c) => c.state).sort(), [...Array(trained).fill('trained'), 'cancelled'].sort());
    assert.equal(children.find((c) => c.state === 'cancelled').id, Number(cancelled.replace('#', '')));
    await h.eventually(async () => /REMAP: idle/.test(await statusBarText()), { message: 'status bar idle again' });
  });

  step('exporting a model from the palette opens the file with the server\'s code lenses', async () => {
    const best = [...(await listModels())].sort((a, b) => (b.val_acc ?? -1) - (a.val_acc ?? -1))[0];
    await h.runCommandForInput(page, 'REMAP: Export Model as PyTorch', /Export Model as PyTorch/);
    const qi = h.quickInput(page);
    await qi.fill(`#${best.id}`);
    await quickPickRow(`#${best.id}`).first().click();
    await qi.waitTitle(new RegExp(`export model #${best.id}`));
    await qi.accept(); // remap_models/ (the default)
    const logText = await h.waitForLog(cs.userDataDir, LOG, new RegExp(`exported model #${best.id} to (.+\\.py)`), { timeout: 60_000 });
    const file = new RegExp(`exported model #${best.id} to (.+\\.py)`).exec(logText)[1];
    assert.ok(file.startsWith(demo.ws), `exported into the workspace: ${file}`);
    await page.locator('.tab', { hasText: path.basename(file) }).first().waitFor({ timeout: 30_000 });
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'REMAP: show on map' }).first();
    await lens.waitFor({ timeout: 90_000 });
    await h.screenshot(page, 'remap-codelens.png');

    // the lens runs remap.server.showOnMap through the language client; the map inspects the model
    await lens.click();
    await h.waitForLog(cs.userDataDir, LOG, /server command remap\.server\.showOnMap/, { timeout: 60_000 });
    const inspector = (await mapFrame()).locator(`.inspector[data-model="${best.id}"]`);
    await inspector.waitFor({ timeout: 30_000 });
  });

  step('"REMAP: Open Layer Builder" opens the builder on the chosen model as a tab in the map\'s editor group', async () => {
    // a trained model with no ablations yet and two hidden layers after a layer with weights
    // (removing either keeps that layer's shape, so a child can inherit it: next step)
    const models = await listModels();
    for (const m of models.filter((r) => r.state === 'trained' && !models.some((c) => c.parent_id === r.id && c.origin === 'ablation'))) {
      const d = await showModel(m.id);
      const n = d.layers.length;
      if (n >= 4 && d.layers.slice(0, n - 3).some((l) => l.params > 0)) {
        inheritParent = { id: m.id, layers: n };
        break;
      }
    }
    assert.ok(inheritParent, 'a trained model with at least two hidden layers after a layer with weights and no ablations');
    const model = { id: inheritParent.id };
    await h.runCommandForInput(page, 'REMAP: Open Layer Builder', /Open Layer Builder/);
    const qi = h.quickInput(page);
    await qi.fill(label(model.id));
    await quickPickRow(label(model.id)).first().click();
    const tab = page.locator('.tab', { hasText: `REMAP: Builder · ${label(model.id)}` }).first();
    await tab.waitFor({ timeout: 30_000 });
    // a tab beside the map's, not a new group that halves the map (issue 12, item 6)
    const mapTab = page.locator('.tab', { hasText: 'REMAP: Model Map' });
    const shared = page.locator('.editor-group-container').filter({ has: tab }).filter({ has: mapTab });
    assert.equal(await shared.count(), 1, 'the builder opens in the map\'s editor group');
    const frame = await h.panelFrame(page, 'builder');
    // the builder's Generate tab is about that model
    const header = frame.locator('#app[data-ready="true"] h2', { hasText: 'Generate from' });
    await header.first().waitFor({ timeout: 60_000 });
    assert.equal(((await header.first().textContent()) ?? '').trim(), `Generate from ${label(model.id)}`);
    await h.screenshot(page, 'remap-builder.png');
    // the tab stays open for the next step
  });

  step('Generate\'s "Start from the parent\'s weights" checkbox is sent with the request; the child\'s change list names the inherited layers', async () => {
    const { id: parentId, layers: n } = inheritParent;
    const frame = await h.panelFrame(page, 'builder');
    await frame.locator('input[data-mode="ablate"]').check();
    const box = frame.locator('input[data-field="inheritWeights"]');
    const go = frame.locator('button[data-action="ablate"]');
    const chip = (i) => frame.locator(`.bchip[data-index="${i}"]`);
    const childAt = async (index) => (await listModels()).find((m) => m.parent_id === parentId && m.origin === 'ablation' && m.changes.some((c) => c.startsWith('Removed ') && c.endsWith(`at index ${index}`)));
    const generateOne = async (index, inherit) => {
      await chip(index).click();
      await h.eventually(async () => (await chip(index).getAttribute('aria-pressed')) === 'true', { timeout: 10_000, message: `layer ${index} selected` });
      if ((await box.isChecked()) !== inherit) await box.setChecked(inherit);
      await h.eventually(async () => ((await go.textContent()) ?? '').trim() === 'Generate 1 ablation' && (await go.isEnabled()),
        { timeout: 10_000, message: '"Generate 1 ablation" enabled' });
      await go.click();
      const child = await h.eventually(() => childAt(index), { timeout: 60_000, message: `the child without layer ${index}` });
      await chip(index).click(); // deselect for the next one
      await h.eventually(async () => (await chip(index).getAttribute('aria-pressed')) === 'false', { timeout: 10_000, message: `layer ${index} deselected` });
      return child;
    };
    // the checkbox starts as the setting says (remap.inheritWeights, on by default)
    assert.equal(await box.isChecked(), true);
    const inheriting = await generateOne(n - 2, true);
    const fresh = await generateOne(n - 3, false);
    const tab = page.locator('.tab', { hasText: `REMAP: Builder · ${label(parentId)}` }).first();
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click(); // the tab's close button
    await tab.waitFor({ state: 'detached', timeout: 10_000 });

    await h.eventually(async () => {
      const rows = await listModels();
      return [inheriting.id, fresh.id].every((id) => rows.find((r) => r.id === id)?.state === 'trained');
    }, { timeout: 240_000, interval: 1000, message: `${label(inheriting.id)} and ${label(fresh.id)} trained` });
    // what the server recorded: the first started from the parent's weights, the second did not
    const inherited = (await showModel(inheriting.id)).run.inherited;
    assert.ok(inherited.length > 0 && inherited.every((l) => l.index < n - 2), JSON.stringify(inherited));
    assert.deepEqual((await showModel(fresh.id)).run.inherited, []);

    // and the inspector's change list says so
    await addToDrawer(inheriting.id);
    let inspector = await inspectFromMapDrawer(inheriting.id);
    const line = inspector.locator('.change-list li.inherited');
    await line.waitFor({ timeout: 30_000 });
    assert.equal(((await line.textContent()) ?? '').trim(),
      `Started from the parent's weights: ${inherited.map((l) => `layer ${l.index} ${l.layer}`).join(', ')}`);
    await addToDrawer(fresh.id);
    inspector = await inspectFromMapDrawer(fresh.id);
    // its run details are in (the Weights row) and there is no inherited line
    await h.eventually(async () => (await metric(inspector, 'Weights')) !== '', { timeout: 30_000, message: `${label(fresh.id)}'s run details` });
    assert.equal(await inspector.locator('.change-list li.inherited').count(), 0);
  });

  step('"REMAP: Restart Server" restarts once and the map still answers', async () => {
    const count = (text) => (text.match(/language client running/g) ?? []).length;
    const before = count(await h.readLogs(cs.userDataDir, LOG));
    await h.runCommand(page, 'REMAP: Restart Server');
    await h.eventually(async () => count(await h.readLogs(cs.userDataDir, LOG)) === before + 1, { timeout: 120_000, message: 'one restart' });
    const n = (await listModels()).length;
    await h.runCommand(page, 'REMAP: Open Model Map');
    await h.eventually(async () => (await mapPoints('left')) === n, { message: `${n} points after the restart` });
  });

  step('after a window reload the map panel is restored (serializer) with its models', async () => {
    const n = (await listModels()).length;
    await h.screenshot(page, 'remap-map.png');
    await page.reload();
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90_000 });
    await page.locator('.tab', { hasText: 'REMAP: Model Map' }).first().waitFor({ timeout: 90_000 });
    await page.locator('.tab', { hasText: 'REMAP: Model Map' }).first().click();
    await h.eventually(async () => (await mapPoints('left')) === n, { timeout: 180_000, interval: 1000, message: `${n} points in the restored panel` });
    const log = await h.readLogs(cs.userDataDir, LOG);
    assert.match(log, /restoring the map panel/);
  });

  step('the extension host logged no uncaught errors from REMAP', async () => {
    const host = await h.readLogs(cs.userDataDir, EXTHOST_LOG);
    assert.match(host, /_doActivateExtension remap\.remap-vscode/);
    const bad = host.split('\n').filter((l) => /\[error\]/.test(l) && /remap\.remap-vscode|remap-vscode|dist\/extension\.js/.test(l));
    assert.deepEqual(bad, []);
    const ours = await h.readLogs(cs.userDataDir, LOG);
    // a clean session logs no error at all: server stderr keeps the server's own levels
    const errors = ours.split('\n').filter((l) => /^\S+ \S+ \[error\]/.test(l));
    assert.deepEqual(errors, []);
    assert.match(ours, /^\S+ \S+ \[info\] remap-lsp REMAP language server \S+ starting \(pid \d+\)$/m);
    assert.doesNotMatch(ours, /Traceback \(most recent call last\)/);
  });

  step('a crashed language server is restarted automatically, and the log says so', async () => {
    const pids = (text) => [...text.matchAll(/REMAP language server \S+ starting \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    const backs = (text) => (text.match(/server back: panels refetch/g) ?? []).length;
    const before = await h.readLogs(cs.userDataDir, LOG);
    const seen = pids(before);
    const pid = seen.at(-1);
    assert.ok(pid, 'the server logged its pid');
    process.kill(pid, 'SIGKILL'); // the Python server this test's code-server started
    await h.waitForLog(cs.userDataDir, LOG, /exited unexpectedly; restarting it \(1 of 3\)/, { timeout: 60_000 });
    const next = await h.eventually(async () => {
      const now = pids(await h.readLogs(cs.userDataDir, LOG));
      return now.length > seen.length && now.at(-1) !== pid && now.at(-1);
    }, { timeout: 120_000, message: 'a new server process' });
    assert.notEqual(next, pid);
    // this session's logs already hold earlier "server back" lines (the manual restart): wait for a new one
    await h.eventually(async () => backs(await h.readLogs(cs.userDataDir, LOG)) > backs(before),
      { timeout: 180_000, interval: 500, message: 'the extension refetched from the new server' });
    await h.eventually(async () => /REMAP: idle/.test(await statusBarText()), { timeout: 60_000, message: 'status bar back to the queue state' });
    // a request from the webview reaches the new server: switch the left pane to accuracy vs. size
    const n = (await listModels()).filter((m) => m.val_acc !== null).length;
    await (await mapFrame()).locator('.map-pane[data-pane="left"] select.view-select').selectOption('accuracy');
    await h.eventually(async () => (await (await mapCanvas('left')).getAttribute('data-view')) === 'accuracy' && (await mapPoints('left')) === n,
      { timeout: 60_000, message: `${n} points on the accuracy view after the crash` });
    const ours = await h.readLogs(cs.userDataDir, LOG);
    assert.match(ours, /server state: starting[\s\S]*server state: running/);
  });
});
