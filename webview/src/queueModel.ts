/**
 * Queue logic (pure): training-time estimates from similar trained models, the display
 * order of jobs, and drag-reordering of the queued jobs into a `remap/queue reorder` order.
 */
import type { Job, ModelRow } from '../../protocol/remap';

export interface Rate {
  params: number;
  secondsPerEpoch: number;
}

/** Seconds per epoch of every trained model that recorded its time. */
export function ratesOf(models: Iterable<ModelRow>): Rate[] {
  const out: Rate[] = [];
  for (const m of models) {
    if (m.state === 'trained' && m.seconds && m.epochs && m.seconds > 0 && m.epochs > 0) {
      out.push({ params: m.params, secondsPerEpoch: m.seconds / m.epochs });
    }
  }
  return out;
}

/**
 * Estimated training seconds for a model of `params` parameters trained for `epochs`
 * epochs: the median seconds/epoch of the `k` trained models closest in log(params),
 * times the epochs. Null when nothing has been trained yet.
 */
export function estimateSeconds(params: number, epochs: number, rates: readonly Rate[], k = 5): number | null {
  if (!rates.length || !(epochs > 0)) return null;
  const lp = Math.log10(Math.max(1, params));
  const near = [...rates]
    .map((r) => ({ d: Math.abs(Math.log10(Math.max(1, r.params)) - lp), s: r.secondsPerEpoch }))
    .sort((a, b) => a.d - b.d || a.s - b.s)
    .slice(0, Math.max(1, k))
    .map((r) => r.s)
    .sort((a, b) => a - b);
  const mid = near.length >> 1;
  const median = near.length % 2 ? (near[mid] as number) : ((near[mid - 1] as number) + (near[mid] as number)) / 2;
  return median * epochs;
}

const STATE_RANK: Record<Job['state'], number> = { running: 0, queued: 1, failed: 2, cancelled: 3, done: 4 };

/** The server's order: running jobs, queued ones by priority then position, finished newest first. */
export function sortJobs(jobs: readonly Job[]): Job[] {
  return [...jobs].sort((a, b) => {
    const r = STATE_RANK[a.state] - STATE_RANK[b.state];
    if (r) return r;
    if (a.state === 'queued') return b.priority - a.priority || a.position - b.position || a.id - b.id;
    if (a.state === 'running') return (a.startedAt ?? 0) - (b.startedAt ?? 0) || a.id - b.id;
    return (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt) || b.id - a.id;
  });
}

/** The queued job ids in queue order. */
export function queuedOrder(jobs: readonly Job[]): number[] {
  return sortJobs(jobs.filter((j) => j.state === 'queued')).map((j) => j.id);
}

/**
 * The new queue order after dragging job `moved` onto job `target` (it takes the target's
 * place; the others shift). Null when either is not queued or nothing changes.
 */
export function reorderAfterDrop(order: readonly number[], moved: number, target: number, after = false): number[] | null {
  const from = order.indexOf(moved);
  const to0 = order.indexOf(target);
  if (from < 0 || to0 < 0 || moved === target) return null;
  const rest = order.filter((id) => id !== moved);
  let to = rest.indexOf(target);
  if (after) to += 1;
  rest.splice(to, 0, moved);
  return rest.every((id, i) => id === order[i]) ? null : rest;
}

/** Move job `id` up (−1) or down (+1) in the queued order; null at the ends. */
export function reorderStep(order: readonly number[], id: number, step: -1 | 1): number[] | null {
  const i = order.indexOf(id);
  const j = i + step;
  if (i < 0 || j < 0 || j >= order.length) return null;
  const out = [...order];
  out[i] = order[j] as number;
  out[j] = id;
  return out;
}

/** Remaining seconds for a running job started at `startedAt` (seconds since the epoch). */
export function remainingSeconds(estimate: number | null, startedAt: number | null, now: number): number | null {
  if (estimate === null) return null;
  if (startedAt === null) return estimate;
  return Math.max(0, estimate - (now - startedAt));
}
