import { describe, expect, it } from 'vitest';
import { SerialTask } from '../../extension/src/serialTask';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('SerialTask (the restart guard)', () => {
  it('never runs two at once and folds requests made during a run into one follow-up', async () => {
    let running = 0;
    let maxRunning = 0;
    const gates: ReturnType<typeof deferred>[] = [];
    const task = new SerialTask(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      running -= 1;
    });
    const first = task.run();
    await tick();
    expect(task.busy).toBe(true);
    const second = task.run();
    const third = task.run();
    expect(second).toBe(third); // shared follow-up
    await tick();
    expect(gates).toHaveLength(1); // the follow-up waits
    gates[0]?.resolve();
    await first;
    await tick();
    expect(gates).toHaveLength(2);
    gates[1]?.resolve();
    await second;
    expect(task.started).toBe(2);
    expect(maxRunning).toBe(1);
    expect(task.busy).toBe(false);
  });

  it('a failed run rejects its callers but does not block the next one', async () => {
    let n = 0;
    const task = new SerialTask(async () => {
      n += 1;
      if (n === 1) throw new Error('boom');
    });
    await expect(task.run()).rejects.toThrow('boom');
    await expect(task.run()).resolves.toBeUndefined();
    expect(task.started).toBe(2);
  });

  it('a follow-up runs even when the run before it failed', async () => {
    const gate = deferred();
    let calls = 0;
    const task = new SerialTask(async () => {
      calls += 1;
      if (calls === 1) {
        await gate.promise;
        throw new Error('first failed');
      }
    });
    const first = task.run();
    const follow = task.run();
    gate.resolve();
    await expect(first).rejects.toThrow('first failed');
    await expect(follow).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('a synchronous throw in the task is a rejection, not a crash', async () => {
    const task = new SerialTask(() => {
      throw new Error('sync');
    });
    await expect(task.run()).rejects.toThrow('sync');
    expect(task.busy).toBe(false);
  });

  it('settled() waits for the run and its follow-up, and never rejects', async () => {
    const order: string[] = [];
    let n = 0;
    const task = new SerialTask(async () => {
      n += 1;
      const me = n;
      await new Promise((r) => setTimeout(r, 5));
      order.push(`run ${me}`);
      if (me === 1) throw new Error('first');
    });
    void task.run().catch(() => undefined);
    void task.run();
    await task.settled();
    order.push('settled');
    expect(order).toEqual(['run 1', 'run 2', 'settled']);
    await expect(task.settled()).resolves.toBeUndefined(); // idle: at once
  });
});
