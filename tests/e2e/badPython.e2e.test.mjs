// End-to-end: a `remap.python` setting that points nowhere. REMAP names the setting and its
// value ("remap.python: … does not exist") and offers "Select interpreter" / "Open settings" —
// not an install into some other Python. An open panel shows "server stopped" with a Restart
// button while the server is down, and drops it once a good setting brings the server up.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const LOG = h.EXTENSION_LOG;
const MISSING = '/nonexistent/remap-e2e/bin/python';
let session;
let ok = false;

before(async () => {
  session = await h.startSession({
    prefix: 'ws-badpy-',
    // a REMAP workspace (activates the extension); the server creates the store once it runs
    prepare: async (ws) => {
      await fsp.mkdir(path.join(ws, '.remap'));
      await fsp.writeFile(path.join(ws, '.remap', 'remap.db'), '');
    },
    settings: () => ({ 'remap.python': MISSING }),
  });
});

after(async () => {
  await session?.close(ok);
});

test('a remap.python that does not exist is named as such; panels say "server stopped" with Restart until it runs', { timeout: 400_000 }, async () => {
  const { page, cs, ws } = session;
  try {
    await h.openWorkbench(page, cs.url, ws);
    const toast = page.locator('.notification-toast', { hasText: `remap.python: ${MISSING} does not exist` }).first();
    await toast.waitFor({ timeout: 120_000 });
    for (const label of ['Select interpreter', 'Open settings']) {
      await toast.locator('.monaco-button', { hasText: label }).first().waitFor({ timeout: 5_000 });
    }
    assert.equal(await toast.locator('.monaco-button', { hasText: /^Install/ }).count(), 0, 'no offer to install into another Python');
    const status = h.remapStatusItem(page);
    await h.eventually(async () => /REMAP: stopped/.test((await status.textContent()) ?? ''), { message: 'status bar "REMAP: stopped"' });
    const log = await h.readLogs(cs.userDataDir, LOG);
    assert.doesNotMatch(log, /python candidate python3/, 'the system python3 is not tried instead');

    // an open panel says the server is stopped, with a Restart button that restarts it
    await h.runCommand(page, 'REMAP: Open Model Map');
    const map = await h.panelFrame(page, 'map');
    const banner = map.locator('.server-banner[data-state="failed"]');
    await banner.waitFor({ timeout: 60_000 });
    assert.match((await banner.textContent()) ?? '', new RegExp(`REMAP server stopped: remap\\.python: ${MISSING} does not exist`));
    const restarts = async () => ((await h.readLogs(cs.userDataDir, LOG)).match(/restart requested/g) ?? []).length;
    const before = await restarts();
    await banner.locator('button', { hasText: 'Restart server' }).click();
    await h.eventually(async () => (await restarts()) > before, { message: 'the banner\u2019s Restart restarted the server' });

    // "Open settings" opens the settings editor on remap.python (a modal in this VS Code: last)
    await toast.locator('.monaco-button', { hasText: 'Open settings' }).first().click();
    const setting = page.locator('.settings-editor .setting-item-contents', { hasText: 'Python interpreter that runs the REMAP language server' }).first();
    await setting.waitFor({ timeout: 60_000 });
    await h.screenshot(page, 'remap-bad-python.png');

    // a good interpreter, typed into that setting: the server starts and the banner goes away
    const field = setting.locator('input').first();
    await h.eventually(async () => {
      await field.fill(h.PYTHON, { timeout: 5_000 });
      return (await field.inputValue()) === h.PYTHON;
    }, { message: 'the setting field holds the interpreter' });
    await field.press('Enter');
    await h.waitForLog(cs.userDataDir, LOG, /language client running/, { timeout: 180_000 });
    await map.locator('.server-banner').waitFor({ state: 'hidden', timeout: 60_000 });
    await h.eventually(async () => /REMAP: idle/.test((await status.textContent()) ?? ''), { message: 'status bar "REMAP: idle"' });
    ok = true;
  } catch (err) {
    await h.screenshot(page, `failure-bad-python-${Date.now()}.png`).catch(() => {});
    throw err;
  }
});
