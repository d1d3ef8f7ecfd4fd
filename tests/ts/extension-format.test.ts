import { describe, expect, it } from 'vitest';
import {
  formatAccuracy,
  formatDeltaAccuracy,
  formatDeltaParams,
  formatParams,
  formatDuration,
  jobDescription,
  progressBar,
  modelDescription,
  modelTooltip,
  queueStatusIcon,
  queueStatusText,
} from '../../extension/src/format';
import type { QueueSummary } from '../../protocol/remap';
import { job, row } from './extension-fixtures';

const summary = (over: Partial<QueueSummary>): QueueSummary => ({
  queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, paused: false, ...over,
});

describe('queue status text', () => {
  it('reads "REMAP: 2 training · 5 queued"', () => {
    expect(queueStatusText(summary({ running: 2, queued: 5 }))).toBe('REMAP: 2 training · 5 queued');
  });
  it('says idle when nothing is queued or running, whatever is done', () => {
    expect(queueStatusText(summary({ done: 12, failed: 1 }))).toBe('REMAP: idle');
  });
  it('shows a pause first', () => {
    expect(queueStatusText(summary({ paused: true, queued: 3 }))).toBe('REMAP: paused · 3 queued');
    expect(queueStatusIcon(summary({ paused: true }))).toBe('$(debug-pause)');
  });
  it('spins only while training', () => {
    expect(queueStatusIcon(summary({ running: 1 }))).toBe('$(sync~spin)');
    expect(queueStatusIcon(summary({ queued: 1 }))).toBe('$(beaker)');
    expect(queueStatusText(undefined)).toBe('REMAP');
  });
});

describe('numbers', () => {
  it('formats accuracy and parameter counts', () => {
    expect(formatAccuracy(0.8734)).toBe('87.3%');
    expect(formatAccuracy(null)).toBe('—');
    expect(formatParams(950)).toBe('950');
    expect(formatParams(12_400)).toBe('12.4k');
    expect(formatParams(25_000)).toBe('25k');
    expect(formatParams(1_250_000)).toBe('1.25M');
  });
  it('signs deltas in percentage points and parameters', () => {
    expect(formatDeltaAccuracy(0.9, 0.888)).toBe('+1.2 pp');
    expect(formatDeltaAccuracy(0.5, 0.8)).toBe('−30.0 pp');
    expect(formatDeltaAccuracy(0.5, 0.5)).toBe('±0.0 pp');
    expect(formatDeltaAccuracy(null, 0.5)).toBeNull();
    expect(formatDeltaParams(1000, 4200)).toBe('−3.2k');
    expect(formatDeltaParams(5000, 1000)).toBe('+4k');
  });
});

describe('model text', () => {
  it('describes trained and untrained models', () => {
    expect(modelDescription(row(1, { valAcc: 0.91, params: 12_400 }))).toBe('91.0% · 12.4k params');
    expect(modelDescription(row(1, { state: 'queued', valAcc: null, params: 500 }))).toBe('queued · 500 params');
  });
  it('lists the parent delta and the change list in the tooltip', () => {
    const parent = row(1, { valAcc: 0.8, params: 5000 });
    const child = row(2, { parentId: 1, origin: 'ablation', valAcc: 0.9, params: 4000, changes: ['Removed MaxPool 2 at index 1'] });
    const tip = modelTooltip(child, parent);
    expect(tip).toContain('parent #1 · Δparams −1k · Δaccuracy +10.0 pp');
    expect(tip).toContain('• Removed MaxPool 2 at index 1');
  });
  it('describes queued jobs by their place in line, not the server\u2019s sort key', () => {
    expect(jobDescription(job(1, { position: 57 }), undefined, { position: { index: 2, of: 3 } })).toBe('queued · position 2 of 3 · 1 epoch');
    expect(jobDescription(job(1, { position: 57 }))).toBe('queued · 1 epoch');
  });
  it('describes running jobs with epoch i/n, a bar and an ETA from the seconds per epoch', () => {
    const running = job(1, { state: 'running', epochs: 8 });
    expect(jobDescription(running, row(10), { progress: { epoch: 3, epochs: 8, secondsPerEpoch: 16 } })).toBe(
      'running · epoch 3/8 ███░░░░░ · ~1 min 20 s left · 10k params',
    );
    expect(jobDescription(running, undefined, { progress: { epoch: 8, epochs: 8, secondsPerEpoch: 16 } })).toBe('running · epoch 8/8 ████████');
    expect(jobDescription(running)).toBe('running · epoch –/8 ░░░░░░░░');
    expect(jobDescription({ ...running, cancelRequested: true }, row(10))).toBe('running · epoch –/8 ░░░░░░░░ · cancelling · 10k params');
  });
  it('formats durations and bars', () => {
    expect(formatDuration(45.4)).toBe('45 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(progressBar(1, 3, 6)).toBe('██░░░░');
    expect(progressBar(5, 0)).toBe('░░░░░░░░');
  });
});
