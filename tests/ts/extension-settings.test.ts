import { describe, expect, it } from 'vitest';
import { type ConfigReader, needsRestart, pythonSetting, serverSettings } from '../../extension/src/settings';

const config = (values: Record<string, unknown>): ConfigReader => ({
  get: <T>(key: string) => values[key] as T | undefined,
});

describe('server settings from the remap.* configuration', () => {
  it('sends set values with the protocol names', () => {
    expect(
      serverSettings(config({ dataset: ' /d/x.npz ', device: 'cuda:1', epochs: 3, maxParams: 50000, workers: 0, projection: 'mds', autoTrain: false, storePath: 'x.db' })),
    ).toEqual({ dataset: '/d/x.npz', device: 'cuda:1', epochs: 3, maxParams: 50000, workers: 0, projection: 'mds', autoTrain: false, storePath: 'x.db' });
  });
  it('leaves out unset values so the workspace settings apply, and never sends client-only keys', () => {
    const s = serverSettings(config({ dataset: '', device: '', epochs: null, maxParams: undefined, projection: '', python: '/p', 'trace.server': 'verbose', autoTrain: true }));
    expect(s).toEqual({ autoTrain: true });
  });
  it('sends the placement, precision and executor settings', () => {
    expect(serverSettings(config({ workersPerGpu: 'auto', bf16: false, executor: 'ray', rayAddress: ' head:6379 ' }))).toEqual({
      workersPerGpu: 'auto',
      bf16: false,
      executor: 'ray',
      rayAddress: 'head:6379',
    });
  });
  it('drops values of the wrong type', () => {
    expect(serverSettings(config({ epochs: '3', autoTrain: 'yes', dataset: 5 }))).toEqual({});
  });
  it('reads remap.python and knows which changes need a restart', () => {
    expect(pythonSetting(config({ python: ' /v/bin/python ' }))).toBe('/v/bin/python');
    expect(pythonSetting(config({}))).toBe('');
    expect(needsRestart((s) => s === 'remap.python')).toBe(true);
    expect(needsRestart((s) => s === 'remap.storePath')).toBe(true);
    expect(needsRestart((s) => s === 'remap.epochs')).toBe(false);
  });
});
