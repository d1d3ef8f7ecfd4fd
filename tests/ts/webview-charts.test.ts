import { describe, expect, it } from 'vitest';
import { confusionLayout, epochLabels } from '../../webview/src/charts';

describe('chart layout', () => {
  it('keeps the epoch labels inside the plot: the last ends at the right edge', () => {
    // the defect: "epoch 5" centred on the right edge was clipped to "epocl"
    expect(epochLabels(5, 34, 214)).toEqual([
      { text: 'epoch 1', x: 34, align: 'left' },
      { text: 'epoch 5', x: 214, align: 'right' },
    ]);
    expect(epochLabels(1, 34, 214)).toEqual([{ text: 'epoch 1', x: 124, align: 'center' }]);
  });
  it('sizes the confusion matrix label band to the class names, leaving the rest to the cells', () => {
    const short = confusionLayout(10, 300, 30);
    expect(short.label).toBe(35);
    expect(short.cell).toBe(26);
    expect(short.side).toBeLessThanOrEqual(300);
    const long = confusionLayout(10, 300, 200); // long names are cut ("guitarra…"), the band is capped
    expect(long.label).toBe(69);
    expect(confusionLayout(200, 300, 30).cell).toBe(8);
  });
});
