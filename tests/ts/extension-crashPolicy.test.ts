import { describe, expect, it } from 'vitest';
import { CrashPolicy } from '../../extension/src/crashPolicy';

describe('CrashPolicy', () => {
  it('restarts up to the limit within the window, then gives up loudly', () => {
    let now = 0;
    const p = new CrashPolicy(3, 60_000, () => now);
    expect(p.onCrash()).toEqual({ action: 'restart', attempt: 1 });
    now += 1000;
    expect(p.onCrash()).toEqual({ action: 'restart', attempt: 2 });
    now += 1000;
    expect(p.onCrash()).toEqual({ action: 'restart', attempt: 3 });
    now += 1000;
    const d = p.onCrash();
    expect(d).toEqual({ action: 'giveUp', crashes: 4 });
    expect(p.giveUpMessage(4)).toMatch(/crashed 4 times in 1 minute and/);
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const p = new CrashPolicy(2, 10_000, () => now);
    p.onCrash();
    p.onCrash();
    now = 20_000;
    expect(p.onCrash()).toEqual({ action: 'restart', attempt: 1 });
  });

  it('reset() (a manual restart) starts counting again', () => {
    const p = new CrashPolicy(1, 60_000, () => 0);
    p.onCrash();
    expect(p.onCrash().action).toBe('giveUp');
    p.reset();
    expect(p.onCrash().action).toBe('restart');
  });
});
