import { describe, expect, it } from 'vitest';
import type { ExploreReport } from '../../protocol/remap';
import { budgetProblem, endMessage, progressMessage, STRATEGIES } from '../../extension/src/exploreText';

const report = (patch: Partial<ExploreReport> = {}): ExploreReport => ({
  session: 'guided-0', strategy: 'guided', seed: 0, budget: 20, spent: 3, state: 'running',
  best: { modelId: 7, valAcc: 0.9123 }, lastModel: 9, error: null, paused: false, ...patch,
});

describe('Explore… input and messages', () => {
  it('offers the three strategies the server knows', () => {
    expect(STRATEGIES.map((s) => s.strategy)).toEqual(['guided', 'random', 'evolution']);
  });

  it('accepts a whole number of trainings 1–100,000 (as the server does) and names what is wrong otherwise', () => {
    expect(budgetProblem('20')).toBeUndefined();
    expect(budgetProblem(' 1 ')).toBeUndefined();
    expect(budgetProblem('100000')).toBeUndefined();
    expect(budgetProblem('0')).toMatch(/between 1 and 100,000/);
    expect(budgetProblem('100001')).toMatch(/between 1 and 100,000/);
    for (const bad of ['', 'abc', '2.5', '-3', '1e3']) expect(budgetProblem(bad)).toMatch(/whole number/);
  });

  it('reports progress as n/N trainings with the best model so far', () => {
    expect(progressMessage(report())).toBe('3/20 trainings · best model #7 (91.2%)');
    expect(progressMessage(report({ best: null, spent: 0 }))).toBe('0/20 trainings · no trained model yet');
  });

  it('says why it waits while the training queue is paused, and how to go on', () => {
    expect(progressMessage(report({ paused: true }))).toBe(
      '3/20 trainings · best model #7 (91.2%) · waiting: the training queue is paused (REMAP: Resume Training Queue to go on)',
    );
  });

  it('says how it ended: done, stopped (how to resume) or failed (as an error, with the reason)', () => {
    expect(endMessage(report({ state: 'done', spent: 20 }))).toEqual({
      text: 'REMAP: explore (guided) spent its budget: 20 trainings; best model #7 (91.2%).', error: false,
    });
    const stopped = endMessage(report({ state: 'stopped' }));
    expect(stopped.error).toBe(false);
    expect(stopped.text).toMatch(/stopped after 3 of 20 trainings.*Run Explore again with guided to resume/);
    const one = endMessage(report({ state: 'done', budget: 1, spent: 1 }));
    expect(one.text).toBe('REMAP: explore (guided) spent its budget: 1 training; best model #7 (91.2%).');
    expect(endMessage(report({ state: 'stopped', budget: 1, spent: 0, best: null })).text)
      .toMatch(/stopped after 0 of 1 training; no trained model yet\./);
    const failed = endMessage(report({ state: 'failed', error: 'every training worker died right after starting' }));
    expect(failed).toEqual({ text: 'REMAP: explore (guided) failed: every training worker died right after starting', error: true });
  });
});
