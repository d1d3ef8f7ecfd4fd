// The static HTML report opened from file:// in an offline headless Chromium: a page
// rendered by the Python writer (remap.report.render_html) from the FakeHost's snapshot with
// the built report.js, and one real report of a tiny trained workspace (`remap demo` then
// `remap report`). No request may leave the page, nothing may be blocked by the CSP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ROOT, artifact, launch, openPanel, requireBundle, startServer, waitForMap } from './helpers.mjs';

const PYTHON = join(ROOT, '.venv/bin/python');
let browser;
let tmp;

before(async () => {
  requireBundle();
  if (!existsSync(join(ROOT, 'dist/webview/report.js'))) throw new Error('dist/webview/report.js is missing: run `npm run build`');
  if (!existsSync(PYTHON)) throw new Error(`no Python venv at ${PYTHON}`);
  browser = await launch();
  tmp = mkdtempSync(join(tmpdir(), 'remap-report-test-'));
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Open a report file offline; collect errors, CSP violations and any request. */
async function openReport(file, colorScheme = 'light') {
  const context = await browser.newContext({ viewport: { width: 1300, height: 850 }, offline: true, colorScheme });
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#app[data-ready="true"]');
  return { page, context, errors, requests };
}

describe('report from a fake snapshot', () => {
  let page;
  let context;
  let errors;
  let requests;
  let file;

  before(async () => {
    const server = await startServer();
    try {
      const fake = await openPanel(browser, server, { models: 300 });
      await waitForMap(fake.page, 'left', 300);
      const snapshot = await fake.page.evaluate(() => {
        const s = window.__remapTest.snapshot();
        s.models[0].name = '</script><script>window.__pwned = 1</script>';
        s.details['1'].model.name = s.models[0].name;
        return s;
      });
      await fake.context.close();
      writeFileSync(join(tmp, 'snapshot.json'), JSON.stringify(snapshot));
    } finally {
      await server.close();
    }
    file = join(tmp, 'fake-report.html');
    execFileSync(PYTHON, ['-c', [
      'import json, sys, pathlib',
      'from remap.report import render_html',
      'root = pathlib.Path(sys.argv[1])',
      'snap = json.loads(pathlib.Path(sys.argv[2]).read_text())',
      "js = (root / 'dist/webview/report.js').read_text()",
      "css = (root / 'webview/media/remap.css').read_text()",
      'pathlib.Path(sys.argv[3]).write_text(render_html(snap, js, css))',
    ].join('\n'), ROOT, join(tmp, 'snapshot.json'), file], { stdio: 'inherit' });
    ({ page, context, errors, requests } = await openReport(file));
    await waitForMap(page, 'left', 300);
  });

  after(async () => context?.close());

  it('renders the maps offline with no request, no CSP violation and no script injection', async () => {
    assert.equal(await page.locator('canvas.map-canvas[data-pane="left"]').getAttribute('data-points'), '300');
    assert.ok(Number(await page.locator('canvas.map-canvas[data-pane="right"]').getAttribute('data-points')) > 200);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.match(await page.locator('.status-line').innerText(), /Static report \(read-only\)/);
    assert.deepEqual(errors, []);
  });

  it('keeps a drawer in the page, inspects from the snapshot, diffs in a dialog', async () => {
    const canvas = page.locator('canvas.map-canvas[data-pane="left"]');
    await canvas.focus();
    await page.keyboard.press('ArrowRight');
    const a = await canvas.getAttribute('data-hovered');
    await page.keyboard.press(' ');
    await page.keyboard.press('ArrowDown');
    const b = await canvas.getAttribute('data-hovered');
    assert.notEqual(a, b);
    await page.keyboard.press(' ');
    await page.waitForSelector(`tr.drawer-row[data-model="${a}"]`);
    await page.waitForSelector(`tr.drawer-row[data-model="${b}"]`);
    await page.click(`tr.drawer-row[data-model="${a}"]`);
    await page.waitForSelector(`.inspector[data-model="${a}"] svg.glyph`);
    assert.match(await page.locator('.inspector').innerText(), /Val acc/);
    await page.click(`tr.drawer-row[data-model="${a}"] input[type="checkbox"]`);
    await page.click(`tr.drawer-row[data-model="${b}"] input[type="checkbox"]`);
    await page.click('button[data-action="diff"]');
    await page.waitForSelector('.diff-dialog:not([hidden]) .diff-grid .diff-col[data-kind]');
    await page.screenshot({ path: artifact('report-diff.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('.diff-dialog[hidden]', { state: 'attached' });
  });

  it('follows the browser theme: dark background and light points in dark mode', async () => {
    const corner = (p) => p.$eval('canvas.map-canvas[data-pane="left"]', (c) => Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data));
    const light = await corner(page);
    const dark = await openReport(file, 'dark');
    await waitForMap(dark.page, 'left', 300);
    const bg = await corner(dark.page);
    const lum = (px) => 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
    assert.ok(lum(light) > 200, `light background ${light}`);
    assert.ok(lum(bg) < 60, `dark background ${bg}`);
    await dark.page.screenshot({ path: artifact('report-dark.png') });
    assert.deepEqual(dark.errors, []);
    await dark.context.close();
  });

  it('is read-only: generating is disabled and says why', async () => {
    await page.click('[role="tab"][data-tab="generate"]');
    await page.waitForSelector('.generate button[data-action="ablate"]');
    assert.equal(await page.locator('.generate button[data-action="ablate"]').isDisabled(), true);
    assert.match(await page.locator('.generate').innerText(), /read-only report/);
    assert.equal(await page.locator('[role="tab"][data-tab="suggestions"]').count(), 0, 'no Suggestions tab without a server');
    await page.click('[role="tab"][data-tab="data"]');
    await page.waitForSelector('.class-card img');
    assert.deepEqual(errors, []);
  });
});

describe('report of a real tiny workspace', () => {
  it('`remap demo` then `remap report` gives a page that shows every model on the map', async () => {
    const ws = join(tmp, 'ws');
    const npz = join(tmp, 'tiny.npz');
    execFileSync(PYTHON, ['-c', [
      'import sys, pathlib',
      "sys.path.insert(0, sys.argv[1] + '/tests/python')",
      'from service_helpers import write_tiny_npz',
      'write_tiny_npz(pathlib.Path(sys.argv[2]))',
    ].join('\n'), ROOT, tmp]);
    assert.ok(existsSync(npz));
    const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    execFileSync(PYTHON, ['-m', 'remap', 'demo', '-w', ws, '--dataset', npz, '--models', '3', '--epochs', '1', '--variations', '1', '--workers', '1'], { env, stdio: 'pipe' });
    const out = join(tmp, 'real-report.html');
    const printed = execFileSync(PYTHON, ['-m', 'remap', 'report', '-w', ws, '--out', out], { env }).toString();
    assert.match(printed, /report written to/);
    const html = readFileSync(out, 'utf8');
    const snap = JSON.parse(/<script type="application\/json" id="remap-data">([\s\S]*?)<\/script>/.exec(html)[1]);
    const n = snap.models.length;
    assert.ok(n >= 4, `the demo made ${n} models`);
    const { page, context, errors, requests } = await openReport(out);
    await waitForMap(page, 'left', n);
    assert.equal(await page.locator('canvas.map-canvas[data-pane="left"]').getAttribute('data-points'), String(n));
    const trained = snap.models.filter((m) => m.state === 'trained').length;
    assert.equal(await page.locator('canvas.map-canvas[data-pane="right"]').getAttribute('data-points'), String(snap.maps.prediction.points.length));
    assert.ok(trained >= 3);
    // inspect the best model through the keyboard: its details come from the snapshot
    await page.locator('canvas.map-canvas[data-pane="left"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.inspector[data-model] svg.glyph');
    await page.screenshot({ path: artifact('report-real.png') });
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
