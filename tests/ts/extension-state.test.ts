import { describe, expect, it } from 'vitest';
import { Drawer, DRAWER_KEY } from '../../extension/src/drawer';
import type { ModelRow, QueueState } from '../../protocol/remap';
import { RemapData, pickOrder } from '../../extension/src/state';
import { row } from './extension-fixtures';

const emptyQueue: QueueState = { summary: { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, paused: false }, jobs: [] };

describe('RemapData', () => {
  it('coalesces a burst of refreshes into at most one follow-up request', async () => {
    let calls = 0;
    let release!: () => void;
    const data = new RemapData({
      listModels: async () => {
        calls += 1;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return [row(2), row(1)];
      },
      listQueue: async () => emptyQueue,
    });
    const seen: string[] = [];
    data.onDidChange((w) => seen.push(w));
    const first = data.refreshModels();
    const burst = [data.refreshModels(), data.refreshModels(), data.refreshModels()];
    await new Promise((r) => setTimeout(r, 0));
    release();
    await Promise.all([first, ...burst]);
    expect(calls).toBe(2);
    expect(data.models.map((m) => m.id)).toEqual([1, 2]);
    expect(data.byId.get(2)?.id).toBe(2);
    expect(seen).toEqual(['models', 'models']);
  });

  it('keeps the last error instead of throwing, and finds the best model', async () => {
    const data = new RemapData({
      listModels: async () => {
        throw new Error('server down');
      },
      listQueue: async () => emptyQueue,
    });
    await data.refreshModels();
    expect(data.lastError).toBe('server down');
    data.setModels([row(1, { valAcc: 0.2 }), row(2, { valAcc: 0.9 }), row(3, { valAcc: null })]);
    expect(data.best()?.id).toBe(2);
    data.clear();
    expect(data.models).toEqual([]);
    expect(data.queue).toBeUndefined();
  });

  it('reports a failed queue read until one succeeds, and forgets the queue of a server that went away', async () => {
    let up = false;
    const data = new RemapData({
      listModels: async () => [row(1)],
      listQueue: async () => {
        if (!up) throw new Error('server restarting');
        return emptyQueue;
      },
    });
    await data.refresh();
    expect(data.lastError).toBe('server restarting');
    up = true;
    await data.refresh();
    expect(data.lastError).toBeUndefined();
    expect(data.queue).toEqual(emptyQueue);
    const seen: string[] = [];
    data.onDidChange((w) => seen.push(w));
    data.forgetQueue();
    data.forgetQueue();
    expect(data.queue).toBeUndefined();
    expect(seen).toEqual(['queue']);
    expect(data.models.map((m) => m.id)).toEqual([1]);
  });
});

describe('pickOrder', () => {
  const rows: ModelRow[] = [row(1, { valAcc: 0.5 }), row(2, { valAcc: 0.9 }), row(3, { valAcc: null, state: 'untrained' }), row(4, { valAcc: 0.7 })];
  it('puts the preferred model first, then by accuracy, untrained last', () => {
    expect(pickOrder(rows, 3).map((r) => r.id)).toEqual([3, 2, 4, 1]);
    expect(pickOrder(rows).map((r) => r.id)).toEqual([2, 4, 1, 3]);
  });
  it('filters', () => {
    expect(pickOrder(rows, undefined, (r) => r.state === 'untrained').map((r) => r.id)).toEqual([3]);
  });
});

describe('Drawer', () => {
  function memento() {
    const values = new Map<string, unknown>();
    return {
      values,
      get: <T>(k: string) => values.get(k) as T | undefined,
      update: async (k: string, v: unknown) => {
        values.set(k, v);
      },
    };
  }

  it('persists ids in the workspace state and tells listeners once per real change', async () => {
    const m = memento();
    const drawer = new Drawer(m);
    const events: (readonly number[])[] = [];
    drawer.onDidChange((ids) => events.push(ids));
    await drawer.add([3, 1]);
    await drawer.add([1]);
    expect(m.values.get(DRAWER_KEY)).toEqual([3, 1]);
    await drawer.remove([3]);
    expect(new Drawer(m).ids).toEqual([1]);
    expect(events).toEqual([[3, 1], [1]]);
    expect(drawer.has(1)).toBe(true);
  });

  it('starts a never-used drawer with the best model, and only that once', async () => {
    const m = memento();
    const drawer = new Drawer(m);
    expect(await drawer.seed(undefined)).toBe(false);
    expect(await drawer.seed(7)).toBe(true);
    expect(drawer.ids).toEqual([7]);
    await drawer.clear();
    expect(await drawer.seed(9)).toBe(false);
    expect(drawer.ids).toEqual([]);
  });

  it('ignores corrupt stored values', () => {
    const m = memento();
    m.values.set(DRAWER_KEY, [1, 'x', 2.5, 3]);
    expect(new Drawer(m).ids).toEqual([1, 3]);
    m.values.set(DRAWER_KEY, 'nope');
    expect(new Drawer(m).ids).toEqual([]);
  });
});
