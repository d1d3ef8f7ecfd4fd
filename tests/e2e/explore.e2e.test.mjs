// End-to-end: "REMAP: Explore…" in a real code-server on a trained demo workspace, against the
// real Python language server (its own workers train what the explore queues). The strategy is
// picked in the quick pick; the budget input refuses 0 and "abc" with its reason shown. A first
// explore (budget 1) trains one model and ends; raised to 3 with the training queue paused, the
// same strategy resumes at 1/3 (its notification says so, with the best model from the store) and
// waits, saying it waits for the paused queue; cancelling the notification stops the server's explore with 1 of 3 spent, as stored;
// with the queue resumed, Explore again resumes at 1/3 and ends with exactly 3 trainings spent:
// three new models, all trained, each one training in the store.
// Every wait is on a state (the notification, the extension's log, the store), never on time; the
// paused queue is what makes the stop deterministic (a stop that raced two real trainings would
// not be).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe } from 'node:test';
import { promisify } from 'node:util';
import * as h from './harness.mjs';

const LOG = h.EXTENSION_LOG;
const STRATEGY = 'random';
const SESSION = `${STRATEGY}-0`;
const COMMAND = 'REMAP: Explore…';
const run = promisify(execFile);

let cs;
let page;
let demo;

async function cli(...args) {
  const { stdout } = await run(h.PYTHON, ['-m', 'remap', ...args, '-w', demo.ws], { maxBuffer: 16 << 20 });
  return stdout;
}
const listModels = async () => JSON.parse(await cli('list', '--json'));

/**
 * What the store holds: the explore session (remap.service.discovery.load_session) and every
 * training job ({id, model, state}).
 */
async function store() {
  const script = [
    'import json, sys',
    'from remap.service import discovery',
    'from remap.service.workspace import Workspace',
    'with Workspace.open(sys.argv[1]) as ws:',
    '    s = discovery.load_session(ws, sys.argv[2])',
    '    jobs = [{"id": j.id, "model": j.model_id, "state": j.state} for j in ws.store.list_jobs()]',
    '    print(json.dumps({"session": None if s is None else s.to_dict(), "jobs": jobs}))',
  ].join('\n');
  const { stdout } = await run(h.PYTHON, ['-c', script, demo.ws, SESSION], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout);
}
const storedSession = async () => (await store()).session;
/** The states of model `id`'s training jobs, oldest first. */
const jobStates = async (id) => (await store()).jobs.filter((j) => j.model === id).sort((a, b) => a.id - b.id).map((j) => j.state);

const logText = () => h.readLogs(cs.userDataDir, LOG);
const waitLog = (re, timeout = 300_000) => h.waitForLog(cs.userDataDir, LOG, re, { timeout });
/** How often `re` (global) matched the extension's log so far. */
const logCount = async (re) => [...(await logText()).matchAll(re)].length;

/** A notification toast holding `text`. */
const toast = (text) => page.locator('.notification-toast', { hasText: text }).first();
/** The explore's progress notification ("REMAP: explore (random): 1/3 trainings · …"). */
const progressToast = () =>
  page.locator('.notification-toast', { hasText: `REMAP: explore (${STRATEGY})` }).filter({ hasText: 'trainings ·' }).first();
/** The budget input's validation messages (extension/src/exploreText.ts budgetProblem). */
const TOO_SMALL = 'The budget must be between 1 and 100,000 trainings.';
const NOT_A_NUMBER = 'Enter a whole number of trainings, e.g. 20.';

async function waitToast(text, timeout = 120_000) {
  await h.eventually(() => toast(text).isVisible(), { timeout, interval: 250, message: `a notification saying "${text}"` });
}

/** The quick-input widget shows `text` (its validation message) while still asking for the budget. */
async function waitValidation(qi, text) {
  await h.eventually(async () => {
    const shown = (await qi.widget.textContent({ timeout: 2_000 })) ?? '';
    const title = (await qi.widget.locator('.quick-input-title').textContent({ timeout: 2_000 })) ?? '';
    return shown.includes(text) && /budget/.test(title);
  }, { timeout: 30_000, message: `the budget input showing "${text}"` });
}

/** Run "REMAP: Explore…", pick the strategy, check the bad budgets (when asked) and enter `budget`. */
async function explore(budget, { badBudgets = false } = {}) {
  const qi = h.quickInput(page);
  await h.runCommandForInput(page, COMMAND, /REMAP: Explore — strategy/);
  await qi.fill(STRATEGY);
  await h.eventually(async () => ((await qi.rows.first().getAttribute('aria-label', { timeout: 2_000 })) ?? '').startsWith(STRATEGY),
    { timeout: 30_000, message: `the strategy pick filtered to ${STRATEGY}` });
  await qi.accept();
  await qi.waitTitle(new RegExp(`REMAP: Explore \\(${STRATEGY}\\) — budget`));
  if (badBudgets) {
    await qi.fill('0');
    await waitValidation(qi, TOO_SMALL);
    await qi.input.press('Enter'); // refused: the input stays open with its reason
    await qi.fill('abc');
    await waitValidation(qi, NOT_A_NUMBER);
    await qi.input.press('Enter');
    await qi.fill('0');
    await waitValidation(qi, TOO_SMALL);
  }
  await qi.fill(String(budget));
  await h.eventually(async () => {
    const shown = (await qi.widget.textContent({ timeout: 2_000 })) ?? '';
    return !shown.includes(TOO_SMALL) && !shown.includes(NOT_A_NUMBER);
  }, { timeout: 30_000, message: 'no validation message for the budget' });
  await qi.accept();
}

describe('REMAP: Explore… in a real VS Code', { timeout: 1_500_000 }, () => {
  const session = h.demoSession('explore');
  const step = session.step;
  let before0;
  let first;
  before(async () => {
    ({ demo, cs, page } = session);
    before0 = await listModels();
  });

  step('the budget input refuses 0 and "abc"; a first explore (budget 1) trains one model and ends', async () => {
    assert.equal(await storedSession(), null);
    await explore(1, { badBudgets: true });
    await waitLog(new RegExp(`explore ${SESSION}: started at 0/1 trainings \\(running\\)`), 60_000);
    await waitLog(new RegExp(`explore ${SESSION}: 1/1 trainings \\(done\\)`));
    await waitToast(`REMAP: explore (${STRATEGY}) spent its budget: 1 training;`);
    // the refused budgets never reached the server: one explore was started
    assert.equal(await logCount(/explore \S+: started at/g), 1);

    const stored = await storedSession();
    assert.equal(stored.spent, 1);
    assert.equal(stored.budget, 1);
    assert.equal(stored.owner, null); // no process explores it now
    assert.equal(stored.pendingJob, null);
    const models = await listModels();
    assert.equal(models.length, before0.length + 1);
    first = models.find((m) => !before0.some((b) => b.id === m.id));
    assert.equal(first.state, 'trained');
    assert.deepEqual(stored.history, [[first.id, first.val_acc]]);
  });

  step('raised to 3 with the queue paused, it resumes at 1/3; cancelling the notification stops the server at 1/3', async () => {
    await h.runCommand(page, 'REMAP: Pause Training Queue');
    await h.eventually(async () => /paused/.test((await h.remapStatusItem(page).textContent({ timeout: 5_000 })) ?? ''),
      { message: 'status bar says paused' });
    await explore(3);
    await waitLog(new RegExp(`explore ${SESSION}: started at 1/3 trainings \\(running\\)`), 60_000);
    // what was spent counts, and the best model so far is the one the store holds
    const best = `best model #${first.id} (${(first.val_acc * 100).toFixed(1)}%)`;
    await h.eventually(async () => ((await progressToast().textContent({ timeout: 2_000 })) ?? '').includes(`1/3 trainings · ${best}`),
      { timeout: 60_000, message: 'the explore notification at 1/3 with the best model' });
    // the next training is queued (the paused queue keeps it there): the explore is waiting on it
    const second = await h.eventually(async () => {
      const s = await storedSession();
      return s.pendingJob !== null && s.owner !== null && s;
    }, { timeout: 120_000, message: 'the explore waiting on its next training' });
    assert.deepEqual(await jobStates(second.pendingModel), ['queued']);
    // it says why it waits (and the log marks it), instead of a progress bar that never moves
    await waitLog(new RegExp(`explore ${SESSION}: 1/3 trainings \\(running, queue paused\\)`), 60_000);
    await h.eventually(async () => ((await progressToast().textContent({ timeout: 2_000 })) ?? '').includes('waiting: the training queue is paused'),
      { timeout: 60_000, message: 'the explore notification saying it waits for the paused queue' });

    const cancel = progressToast().locator('.monaco-button', { hasText: 'Cancel' });
    await h.eventually(async () => {
      if (!(await progressToast().isVisible())) return true;
      await progressToast().hover({ timeout: 5_000 });
      await cancel.click({ timeout: 5_000 });
      return !(await progressToast().isVisible());
    }, { timeout: 60_000, interval: 500, message: 'the explore notification cancelled' });
    await waitLog(new RegExp(`explore ${SESSION}: stop requested`), 30_000);
    await waitLog(new RegExp(`explore ${SESSION}: 1/3 trainings \\(stopped\\)`), 60_000);
    await waitToast(`REMAP: explore (${STRATEGY}) stopped after 1 of 3 trainings`);

    const stored = await h.eventually(async () => {
      const s = await storedSession();
      return s.owner === null && s;
    }, { timeout: 60_000, message: 'the stored session released by the server' });
    assert.equal(stored.spent, 1);
    assert.equal(stored.budget, 3);
    assert.equal(stored.pendingJob, second.pendingJob); // the training in flight waits for the resume
    assert.deepEqual(await jobStates(second.pendingModel), ['queued']);
    assert.equal((await listModels()).length, before0.length + 2);
  });

  step('with the queue resumed, Explore again resumes at 1/3 and spends exactly the budget', async () => {
    await h.runCommand(page, 'REMAP: Resume Training Queue');
    await h.eventually(async () => !/paused/.test((await h.remapStatusItem(page).textContent({ timeout: 5_000 })) ?? ''),
      { message: 'status bar no longer paused' });
    const starts = await logCount(/explore \S+: started at/g);
    await explore(3);
    await h.eventually(async () => (await logCount(/explore \S+: started at/g)) > starts, { message: 'the explore started again' });
    const text = await logText();
    assert.match(text.slice(text.lastIndexOf(`explore ${SESSION}: started at`)), new RegExp(`^explore ${SESSION}: started at 1/3 trainings`));
    await waitLog(new RegExp(`explore ${SESSION}: 3/3 trainings \\(done\\)`));
    await waitToast(`REMAP: explore (${STRATEGY}) spent its budget: 3 trainings;`);

    const stored = await storedSession();
    assert.equal(stored.spent, 3);
    assert.equal(stored.owner, null);
    assert.equal(stored.pendingJob, null);
    assert.equal(stored.history.length, 3);
    const models = await listModels();
    const made = models.filter((m) => !before0.some((b) => b.id === m.id));
    assert.equal(made.length, 3, 'three new models: the stopped training was resumed, not drawn again');
    assert.deepEqual(stored.history.map(([id]) => id).sort((a, b) => a - b), made.map((m) => m.id).sort((a, b) => a - b));
    for (const m of made) {
      assert.equal(m.state, 'trained', `model ${m.id} trained`);
      assert.deepEqual(await jobStates(m.id), ['done'], `model ${m.id}: one training`);
    }
    await h.screenshot(page, 'remap-explore.png');
  });
});
