import { describe, expect, it } from 'vitest';
import { EpochProgress } from '../../extension/src/epochProgress';

describe('EpochProgress', () => {
  it('keeps the last epoch, the total and the mean seconds per epoch of each running job', () => {
    const p = new EpochProgress();
    expect(p.get(1)).toBeUndefined();
    p.record({ jobId: 1, epoch: { epoch: 1, seconds: 10 }, epochs: 4 });
    p.record({ jobId: 1, epoch: { epoch: 2, seconds: 20 }, epochs: 4 });
    p.record({ jobId: 1, epoch: { epoch: 2, seconds: 14 }, epochs: 4 }); // a repeat replaces the timing
    p.record({ jobId: 2, epoch: { epoch: 1, seconds: 3 }, epochs: 2 });
    expect(p.get(1)).toEqual({ epoch: 2, epochs: 4, secondsPerEpoch: 12 });
    p.keepOnly(new Set([2]));
    expect(p.get(1)).toBeUndefined();
    expect(p.get(2)).toEqual({ epoch: 1, epochs: 2, secondsPerEpoch: 3 });
  });
});
