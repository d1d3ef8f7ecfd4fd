/**
 * Text for models, jobs and the queue as the extension shows them (tree items, quick picks,
 * the status bar): accuracy, parameter counts, deltas against a parent, queue summaries.
 * Pure functions; no 'vscode' import.
 */
import { modelLabel } from '../../protocol/models';
import type { Job, ModelRow, QueueSummary } from '../../protocol/remap';

/** 0.8734 → "87.3%"; null → "—". */
export function formatAccuracy(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** 950 → "950", 12_400 → "12.4k", 1_250_000 → "1.25M". */
export function formatParams(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1_000_000) return `${trim((n / 1_000_000).toFixed(2))}M`;
  if (abs >= 1_000) return `${trim((n / 1_000).toFixed(1))}k`;
  return String(n);
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : value < 0 ? `−${text.replace(/^-/, '')}` : `±${text}`;
}

/** Accuracy difference in percentage points, e.g. "+1.2 pp"; null when either is untrained. */
export function formatDeltaAccuracy(child: number | null, parent: number | null): string | null {
  if (child === null || parent === null) return null;
  const d = (child - parent) * 100;
  return signed(`${Math.abs(d).toFixed(1)} pp`, Math.abs(d) < 0.05 ? 0 : d);
}

/** Parameter difference, e.g. "−3.2k". */
export function formatDeltaParams(child: number, parent: number): string {
  const d = child - parent;
  return signed(formatParams(Math.abs(d)), d);
}

/** "87.3% · 12.4k params" (trained) or "training · 12.4k params". */
export function modelDescription(row: ModelRow): string {
  const params = `${formatParams(row.params)} params`;
  if (row.state === 'trained' && row.valAcc !== null) return `${formatAccuracy(row.valAcc)} · ${params}`;
  return `${row.state} · ${params}`;
}

/** A multi-line tooltip for a model. */
export function modelTooltip(row: ModelRow, parent?: ModelRow): string {
  const lines = [
    `${modelLabel(row)} (${row.origin})`,
    row.layers,
    `params ${row.params.toLocaleString('en-US')} · validation accuracy ${formatAccuracy(row.valAcc)}` +
      (row.trainAcc !== null ? ` · train ${formatAccuracy(row.trainAcc)}` : ''),
    `state ${row.state}${row.epochs !== null ? ` · ${row.epochs} epochs` : ''}`,
  ];
  if (parent) {
    const dAcc = formatDeltaAccuracy(row.valAcc, parent.valAcc);
    lines.push(`parent ${modelLabel(parent)} · Δparams ${formatDeltaParams(row.params, parent.params)}` +
      (dAcc ? ` · Δaccuracy ${dAcc}` : ''));
  }
  if (row.changes.length > 0) lines.push(...row.changes.map((c) => `• ${c}`));
  return lines.join('\n');
}

/** The status-bar text for the queue: "REMAP: 2 training · 5 queued", "REMAP: idle". */
export function queueStatusText(summary: QueueSummary | undefined): string {
  if (!summary) return 'REMAP';
  const parts: string[] = [];
  if (summary.paused) parts.push('paused');
  if (summary.running > 0) parts.push(`${summary.running} training`);
  if (summary.queued > 0) parts.push(`${summary.queued} queued`);
  return parts.length === 0 ? 'REMAP: idle' : `REMAP: ${parts.join(' · ')}`;
}

/** A codicon for the queue state. */
export function queueStatusIcon(summary: QueueSummary | undefined): string {
  if (!summary) return '$(beaker)';
  if (summary.paused) return '$(debug-pause)';
  return summary.running > 0 ? '$(sync~spin)' : '$(beaker)';
}

/** Tooltip with every count. */
export function queueStatusTooltip(summary: QueueSummary | undefined): string {
  if (!summary) return 'REMAP: no queue information yet';
  return [
    `REMAP training queue${summary.paused ? ' (paused)' : ''}`,
    `${summary.running} training, ${summary.queued} queued`,
    `${summary.done} done, ${summary.failed} failed, ${summary.cancelled} cancelled`,
    'Click to show the queue',
  ].join('\n');
}

/** "45 s", "3 min 20 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** A text progress bar: `width` cells, the done fraction filled ("███░░░░░"). */
export function progressBar(done: number, total: number, width = 8): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Where a job stands for the Queue view: its place in line, or its epoch progress. */
export interface JobPlace {
  /** 1-based place among the queued jobs, and how many are queued. */
  position?: { index: number; of: number };
  progress?: { epoch: number; epochs: number; secondsPerEpoch: number } | undefined;
}

/**
 * The Queue view's text for a job: "queued · position 2 of 5 · 8 epochs · 12.4k params", or
 * "running · epoch 3/8 ███░░░░░ · ~1 min 20 s left · 12.4k params" (the ETA from the mean
 * seconds per finished epoch; "epoch –/8" before the first one finished).
 */
export function jobDescription(job: Job, row?: ModelRow, place: JobPlace = {}): string {
  const parts: string[] = [job.state];
  const epochsText = `${job.epochs} epoch${job.epochs === 1 ? '' : 's'}`;
  if (job.state === 'queued') {
    if (place.position) parts.push(`position ${place.position.index} of ${place.position.of}`);
    parts.push(epochsText);
  } else if (job.state === 'running') {
    const p = place.progress;
    const total = p?.epochs ?? job.epochs;
    if (p && p.epoch > 0) {
      parts.push(`epoch ${p.epoch}/${total} ${progressBar(p.epoch, total)}`);
      if (Number.isFinite(p.secondsPerEpoch) && p.epoch < total) parts.push(`~${formatDuration((total - p.epoch) * p.secondsPerEpoch)} left`);
    } else {
      parts.push(`epoch –/${total} ${progressBar(0, total)}`);
    }
  } else {
    parts.push(epochsText);
  }
  if (job.cancelRequested) parts.push('cancelling');
  if (row) parts.push(`${formatParams(row.params)} params`);
  return parts.join(' · ');
}
