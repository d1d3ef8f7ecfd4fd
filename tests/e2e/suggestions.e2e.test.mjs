// End-to-end: the Suggestions view in the REMAP side bar of a real code-server, on a trained demo
// workspace, against the real Python language server. It lists exactly what `remap suggest`
// lists for the same store; Dismiss hides a suggestion and a refresh (a new remap/suggest) keeps
// it hidden (the dismissal lives in the store); one click on "Queue Suggestion" queues the child
// (queue paused: it stays visible in the Queue view), and once it has trained the view shows the
// new suggestions. Every wait is on a state (rows, log lines, the store), never on time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe } from 'node:test';
import { promisify } from 'node:util';
import * as h from './harness.mjs';

const LOG = h.EXTENSION_LOG;
const COUNT = 8; // what the view asks for (extension/src/suggestions.ts)
const REFRESHED = /suggestions refreshed \(\d+\):([^\n]*)/g;

let cs;
let page;
let demo;

async function cli(...args) {
  const { stdout } = await promisify(execFile)(h.PYTHON, ['-m', 'remap', ...args, '-w', demo.ws], { maxBuffer: 16 << 20 });
  return stdout;
}
const suggestNow = async () => JSON.parse(await cli('suggest', '--n', String(COUNT), '--json'));
const listModels = async () => JSON.parse(await cli('list', '--json'));
/** A row's accessible label: the kind and the server's reason (see SuggestionsProvider). */
const ariaOf = (s) => `${s.kind} · ${s.reason}`;

/** The pane of REMAP view `name` (the view container is opened first). */
function pane(name) {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }) }).first();
}

async function showContainer() {
  if (!(await pane('Suggestions').isVisible().catch(() => false))) {
    await page.locator('.activitybar .action-item a[aria-label^="REMAP"]').first().click();
  }
  await pane('Suggestions').waitFor({ state: 'visible', timeout: 15_000 });
}

async function setExpanded(name, expanded) {
  const header = pane(name).locator('.pane-header');
  await h.eventually(async () => {
    if ((await header.getAttribute('aria-expanded')) === String(expanded)) return true;
    await header.click();
    return false;
  }, { timeout: 15_000, interval: 300, message: `the ${name} view ${expanded ? 'expanded' : 'collapsed'}` });
}

const suggestionRows = () => pane('Suggestions').locator('.monaco-list-row');
const shownLabels = () => suggestionRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));

/** Wait until the view shows exactly what `remap suggest` answers now; returns that answer. */
async function viewMatchesCli(message, timeout = 60_000) {
  return h.eventually(async () => {
    const expected = await suggestNow();
    const shown = await shownLabels();
    return expected.length > 0 && JSON.stringify(shown) === JSON.stringify(expected.map(ariaOf)) && expected;
  }, { timeout, interval: 500, message });
}

async function refreshes() {
  return [...(await h.readLogs(cs.userDataDir, LOG)).matchAll(REFRESHED)].map((m) => m[1].trim().split(/\s+/));
}

/** Hover row `i` of the Suggestions view and click its inline action `label`. */
async function rowAction(i, label) {
  const row = suggestionRows().nth(i);
  await row.hover();
  await row.locator(`.action-label[aria-label="${label}"]`).click();
}

describe('the Suggestions view in a real VS Code', { timeout: 900_000 }, () => {
  const session = h.demoSession('suggestions');
  const step = session.step;
  before(() => {
    ({ demo, cs, page } = session);
  });

  step('the view lists what `remap suggest` lists for the trained workspace, in order', async () => {
    await showContainer();
    // room for every row: the other REMAP views are collapsed
    for (const name of ['Drawer', 'Queue', 'Experiments', 'All Models']) await setExpanded(name, false);
    await setExpanded('Suggestions', true);
    const shown = await viewMatchesCli('the Suggestions view equal to `remap suggest`', 120_000);
    assert.equal(shown.length, COUNT);
    const ids = new Set(demo.models.map((m) => m.id));
    for (const s of shown) assert.ok(s.parent === null || ids.has(s.parent), `suggestion ${s.key} names a real model`);
    await h.screenshot(page, 'remap-suggestions.png');
  });

  step('Dismiss hides a suggestion, and a refresh keeps it hidden (remembered by the server)', async () => {
    const before = await suggestNow();
    const gone = before[0];
    await rowAction(0, 'Dismiss Suggestion');
    const after = await viewMatchesCli(`the view without suggestion ${gone.key}`);
    assert.ok(!after.some((s) => s.key === gone.key), `${gone.key} no longer suggested`);

    const seen = (await refreshes()).length;
    const header = pane('Suggestions').locator('.pane-header');
    await header.hover();
    await header.locator('.action-label[aria-label="Refresh"]').click();
    const latest = await h.eventually(async () => {
      const all = await refreshes();
      return all.length > seen && all.at(-1);
    }, { timeout: 30_000, message: 'a new remap/suggest after Refresh' });
    assert.ok(!latest.includes(gone.key), `${gone.key} stays hidden after the refresh`);
    await viewMatchesCli('the view after the refresh');
  });

  step('one click on "Queue Suggestion" queues its child; once trained, the view is refreshed', async () => {
    await h.runCommand(page, 'REMAP: Pause Training Queue');
    await h.eventually(async () => /paused/.test((await h.remapStatusItem(page).textContent({ timeout: 5_000 })) ?? ''),
      { message: 'status bar says paused' });
    const shown = await viewMatchesCli('the view before queueing');
    // an ablation is certain to make a new child (a variation may be drawn above the size budget)
    let i = shown.findIndex((s) => s.kind === 'ablate');
    if (i < 0) i = 0;
    const chosen = shown[i];
    const before = await listModels();
    await rowAction(i, 'Queue Suggestion');

    const child = await h.eventually(async () => {
      const now = await listModels();
      return now.length === before.length + 1 && now.find((m) => !before.some((b) => b.id === m.id));
    }, { timeout: 60_000, message: 'a new model from the suggestion' });
    if (chosen.parent !== null) assert.equal(child.parent_id, chosen.parent);
    assert.equal(child.origin, chosen.kind === 'ablate' ? 'ablation' : child.origin);
    await setExpanded('Queue', true);
    const queued = pane('Queue').locator('.monaco-list-row', { hasText: 'queued' });
    await h.eventually(async () => (await queued.count()) === 1, { timeout: 30_000, message: 'one queued job in the Queue view' });

    await h.runCommand(page, 'REMAP: Resume Training Queue');
    await h.eventually(async () => (await listModels()).find((m) => m.id === child.id)?.state === 'trained',
      { timeout: 300_000, interval: 1000, message: `model ${child.id} trained` });
    await setExpanded('Queue', false);
    await viewMatchesCli('the Suggestions view refreshed after the run finished', 120_000);
  });
});
