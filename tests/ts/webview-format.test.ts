import { describe, expect, it } from 'vitest';
import { formatParamsAgainst } from '../../webview/src/format';

describe('builder parameter line', () => {
  it('shows the count and the change against the parent for a valid model', () => {
    expect(formatParamsAgainst(63_800, 62_700)).toBe('Params 63.8k (+1.1k)');
    expect(formatParamsAgainst(62_700, 62_700)).toBe('Params 62.7k (0)');
  });
  it('shows no count for an invalid model (a count up to the first error would mislead)', () => {
    expect(formatParamsAgainst(null, 62_700)).toBe('Params —');
  });
});
