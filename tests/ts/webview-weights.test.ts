import { describe, expect, it } from 'vitest';
import type { RunDetails } from '../../protocol/remap';
import { serverSettings } from '../../extension/src/settings';
import { inheritedText, weightsRows } from '../../webview/src/inspector';

const run = (extra: Partial<RunDetails>): RunDetails => ({
  id: 1, epochs: [], trainAcc: 0.9, valAcc: 0.911, valLoss: 0.3, perClassAcc: [], confusion: null,
  seconds: 3, device: 'cpu', stoppedEarly: false, config: {}, ...extra,
});

describe('inspector weights line', () => {
  it('shows the size, the re-evaluation and the inherited layers', () => {
    expect(weightsRows(null, run({ weightsBytes: 52_340, reevaluatedAcc: 0.911, inherited: [{ index: 0, layer: 'Conv2D 3×3/16' }] }))).toEqual([
      ['Weights', '52 KB · re-evaluated 91.1%'],
      ['Inherited', '0 Conv2D 3×3/16'],
    ]);
  });
  it('ends the change list with the layers the child took from its parent', () => {
    expect(inheritedText(run({ inherited: [{ index: 0, layer: 'Conv2D 3×3/16' }, { index: 2, layer: 'Dense 64' }] })))
      .toBe("Started from the parent's weights: layer 0 Conv2D 3×3/16, layer 2 Dense 64");
    expect(inheritedText(run({ inherited: [] }))).toBeNull();
    expect(inheritedText(null)).toBeNull();
  });
  it('says a recorded accuracy was not trained here, and nothing for a run without weights', () => {
    expect(weightsRows(0.7808, null)).toEqual([['Recorded acc', '78.1% (recorded, not trained here)']]);
    expect(weightsRows(undefined, run({}))).toEqual([]);
  });
  it('sends remap.inheritWeights to the server only when set', () => {
    const config = (values: Record<string, unknown>) => ({ get: <T>(k: string) => values[k] as T });
    expect(serverSettings(config({ inheritWeights: false }))).toEqual({ inheritWeights: false });
    expect(serverSettings(config({ inheritWeights: null }))).toEqual({});
  });
});
