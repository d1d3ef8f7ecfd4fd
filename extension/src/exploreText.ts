/**
 * The words of "REMAP: Explore…" (no VS Code API, unit-tested): the strategies offered, the
 * budget input's validation, and the progress and end messages of a background explore.
 */
import { idLabel } from '../../protocol/models';
import type { ExploreReport, ExploreStrategy } from '../../protocol/remap';

export const MAX_BUDGET = 100_000; // what the server and `remap explore --budget` accept

export const STRATEGIES: readonly { strategy: ExploreStrategy; detail: string }[] = [
  { strategy: 'guided', detail: 'Follow the suggestion engine: ablate and vary models on the accuracy–size front, transfer changes that helped.' },
  { strategy: 'random', detail: 'Sample the model space at random (the baseline).' },
  { strategy: 'evolution', detail: 'Regularized evolution: tournament selection, aging, variations as mutations.' },
];

/** Why `text` is not a budget (undefined when it is): a whole number of trainings, 1–MAX_BUDGET. */
export function budgetProblem(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return 'Enter a whole number of trainings, e.g. 20.';
  const n = Number(t);
  if (n < 1 || n > MAX_BUDGET) return `The budget must be between 1 and ${MAX_BUDGET.toLocaleString('en-US')} trainings.`;
  return undefined;
}

function best(r: ExploreReport): string {
  return r.best ? `best model ${idLabel(r.best.modelId)} (${(r.best.valAcc * 100).toFixed(1)}%)` : 'no trained model yet';
}

/** "1 training", "3 trainings". */
function trainings(n: number): string {
  return `${n} ${n === 1 ? 'training' : 'trainings'}`;
}

/** "3/20 trainings · best model #7 (91.2%)", and why it waits when the queue is paused. */
export function progressMessage(r: ExploreReport): string {
  const waiting = r.paused ? ' · waiting: the training queue is paused (REMAP: Resume Training Queue to go on)' : '';
  return `${r.spent}/${r.budget} trainings · ${best(r)}${waiting}`;
}

/** What to tell the user when an explore ends; `error` says it should be shown as an error. */
export function endMessage(r: ExploreReport): { text: string; error: boolean } {
  const what = `REMAP: explore (${r.strategy})`;
  switch (r.state) {
    case 'done':
      return { text: `${what} spent its budget: ${trainings(r.spent)}; ${best(r)}.`, error: false };
    case 'stopped':
      return { text: `${what} stopped after ${r.spent} of ${trainings(r.budget)}; ${best(r)}. Run Explore again with ${r.strategy} to resume.`, error: false };
    case 'failed':
      return { text: `${what} failed: ${r.error ?? 'unknown error'}`, error: true };
    default:
      return { text: `${what}: ${progressMessage(r)}`, error: false };
  }
}
