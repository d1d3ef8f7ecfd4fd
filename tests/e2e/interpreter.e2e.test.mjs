// End-to-end: REMAP pointed at a Python interpreter that lacks the server package and torch
// says so, offers to install them (torch==2.13.0 first) or to select another interpreter, and
// the status bar shows that the server is stopped. Nothing is installed (no network needed).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import * as h from './harness.mjs';

const LOG = h.EXTENSION_LOG;
let session;
let ok = false;

before(async () => {
  session = await h.startSession({
    prefix: 'ws-bare-',
    // a bare virtual environment: Python, but neither remap nor torch (nor pip)
    prepare: (ws) => promisify(execFile)('python3', ['-m', 'venv', '--without-pip', path.join(ws, 'bare-venv')]),
    settings: (ws) => ({ 'remap.python': path.join(ws, 'bare-venv/bin/python') }),
  });
});

after(async () => {
  await session?.close(ok);
});

test('an interpreter without remap and torch: say so, offer install (torch pinned first) and "Select interpreter"', { timeout: 300_000 }, async () => {
  const { page, cs, ws } = session;
  try {
    await fsp.writeFile(path.join(ws, 'net.py'), 'import torch\n');
    await h.openWorkbench(page, cs.url, ws);
    // REMAP activates on Python files; open one from the palette's file picker
    await h.quickOpen(page, 'net.py');

    const toast = page.locator('.notification-toast', { hasText: 'lacks the REMAP server package (remap) and PyTorch (torch)' });
    await toast.first().waitFor({ timeout: 120_000 });
    const text = (await toast.first().textContent()) ?? '';
    assert.match(text, /bare-venv\/bin\/python/);
    assert.match(text, /torch==2\.13\.0 first/);
    assert.match(text, /multi-GB CUDA build/);
    for (const label of ['Install', 'Select interpreter']) {
      await toast.first().locator('.monaco-button', { hasText: label }).first().waitFor({ timeout: 5_000 });
    }
    await h.screenshot(page, 'remap-interpreter.png');

    await toast.first().locator('.monaco-button', { hasText: 'Select interpreter' }).first().click();
    const qi = h.quickInput(page);
    await qi.waitTitle(/REMAP: Python interpreter for the server/);
    assert.ok((await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Browse' }).count()) > 0);
    await page.keyboard.press('Escape');

    const status = page.locator('.statusbar-item', { hasText: 'REMAP' }).first();
    await h.eventually(async () => /REMAP: stopped/.test((await status.textContent()) ?? ''), { message: 'status bar "REMAP: stopped"' });
    const log = await h.readLogs(cs.userDataDir, LOG);
    assert.match(log, /python candidate .*bare-venv\/bin\/python \(setting\): Python 3\.\d+\.\d+, remap missing, torch missing/);
    assert.doesNotMatch(log, /language client running/);
    ok = true;
  } catch (err) {
    await h.screenshot(page, `failure-interpreter-${Date.now()}.png`).catch(() => {});
    throw err;
  }
});
