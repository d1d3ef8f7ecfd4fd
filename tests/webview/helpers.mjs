// Shared helpers for the headless-Chromium webview tests: a tiny static server on
// 127.0.0.1 (ephemeral port) serving the built bundle and a test page that installs the
// FakeHost (fake-vscode.js) before dist/webview/main.js, under the same strict CSP as the
// extension's panels; the Chromium launcher; and `usePanels`, the suite fixture of the panel
// test files.
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'tests/webview/artifacts');
const MAIN_JS = join(ROOT, 'dist/webview/main.js');
const CHROMIUM = process.env.REMAP_CHROMIUM || '/usr/bin/chromium';

export function requireBundle() {
  if (!existsSync(MAIN_JS) || !existsSync(join(ROOT, 'dist/webview/media/remap.css'))) {
    throw new Error('dist/webview/main.js is missing: run `npm run build` before `npm run test:webview`');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: apt-get install -y chromium fonts-liberation (or set REMAP_CHROMIUM)`);
  }
}

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.map': 'application/json', '.png': 'image/png' };
const NONCE = 'r3m4pT3stN0nce';

/** The test page: CSP as in VS Code (script only with the nonce), FakeHost, then main.js. */
export function testPage(config, bodyClass = 'vscode-light') {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; script-src 'nonce-${NONCE}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dist/webview/media/remap.css">
<title>REMAP test</title></head>
<body class="${bodyClass}">
<div id="app" data-panel="${config.panel || 'map'}"></div>
<script nonce="${NONCE}">window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); window.__remapFakeConfig = ${json};</script>
<script nonce="${NONCE}" src="/tests/webview/fake-vscode.js"></script>
<script nonce="${NONCE}" src="/dist/webview/main.js"></script>
</body></html>`;
}

/** Serve the repository read-only plus /page?c=<json config>; returns { url, close }. */
export async function startServer() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/page') {
      const config = JSON.parse(url.searchParams.get('c') || '{}');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(testPage(config, url.searchParams.get('theme') || 'vscode-light'));
      return;
    }
    const path = normalize(join(ROOT, decodeURIComponent(url.pathname)));
    const allowed = [join(ROOT, 'dist'), join(ROOT, 'tests/webview')];
    if (!allowed.some((dir) => path.startsWith(dir + '/')) || !existsSync(path)) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(ok)) };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Open the test page with the given fake config and wait until the panel is drawn. */
export async function openPanel(browser, server, config, { width = 1400, height = 900, theme } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const q = new URLSearchParams({ c: JSON.stringify(config) });
  if (theme) q.set('theme', theme);
  await page.goto(`${server.url}/page?${q}`);
  await page.waitForSelector('#app[data-ready="true"]');
  return { page, context, errors };
}

/** Wait until the pane has drawn its points (data-points > 0 and at least one frame). */
export async function waitForMap(page, pane = 'left', min = 1) {
  await page.waitForFunction(([p, n]) => {
    const c = document.querySelector(`canvas.map-canvas[data-pane="${p}"]`);
    return c && Number(c.dataset.points) >= n && Number(c.dataset.frames) > 0;
  }, [pane, min]);
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/**
 * The fixture every panel test file shares: registers the file's `before` (bundle check,
 * static server, Chromium) and `after` (close both) hooks and returns
 * `open(config, options)`, which opens a panel page like `openPanel` once they have run.
 */
export function usePanels() {
  let server;
  let browser;
  before(async () => {
    requireBundle();
    server = await startServer();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return { open: (config, options) => openPanel(browser, server, config, options) };
}
