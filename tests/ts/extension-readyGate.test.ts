import { describe, expect, it } from 'vitest';
import type { HostToWebview, PanelContext } from '../../protocol/remap';
import { ReadyGate } from '../../extension/src/readyGate';

function setup() {
  const sent: HostToWebview[] = [];
  let ctx: PanelContext = { panel: 'map', drawer: [] };
  const gate = new ReadyGate((m) => sent.push(m), () => ({ kind: 'context', context: ctx }));
  return { sent, gate, setCtx: (c: PanelContext) => (ctx = c) };
}

const note = (n: number): HostToWebview => ({ kind: 'notification', method: 'remap/epoch', params: { n } });

describe('ReadyGate (no lost messages before the webview is ready)', () => {
  it('holds everything until ready, then sends the context first and the rest in order', () => {
    const { sent, gate, setCtx } = setup();
    gate.send(note(1));
    gate.send({ kind: 'response', id: 1, result: 42 });
    gate.send(note(2));
    expect(sent).toHaveLength(0);
    expect(gate.pending).toBe(3);
    setCtx({ panel: 'map', drawer: [5] });
    gate.markReady();
    expect(sent.map((m) => m.kind)).toEqual(['context', 'notification', 'response', 'notification']);
    expect(sent[0]).toEqual({ kind: 'context', context: { panel: 'map', drawer: [5] } });
    expect((sent[3] as { params: { n: number } }).params.n).toBe(2);
  });

  it('a buffered context is replaced by the current one', () => {
    const { sent, gate } = setup();
    gate.send({ kind: 'context', context: { panel: 'map', drawer: [1] } });
    gate.send({ kind: 'context', context: { panel: 'map', drawer: [1, 2] } });
    gate.markReady();
    expect(sent.filter((m) => m.kind === 'context')).toHaveLength(1);
  });

  it('sends at once while ready and buffers again after a reset (page reload)', () => {
    const { sent, gate } = setup();
    gate.markReady();
    gate.send(note(1));
    expect(sent).toHaveLength(2);
    gate.reset();
    gate.send(note(2));
    expect(sent).toHaveLength(2);
    gate.markReady();
    expect(sent.slice(2).map((m) => m.kind)).toEqual(['context', 'notification']);
  });
});
