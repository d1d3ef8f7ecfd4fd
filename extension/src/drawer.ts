/**
 * The drawer: the user's shortlist of saved model ids, persisted in the workspace state
 * (Memento) and shared by the Drawer tree and every webview panel. No runtime 'vscode' import.
 */
import { Listeners, type Subscription } from './events';
import { drawerAdd, drawerRemove } from './treeData';

/** The part of vscode.Memento used here. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const DRAWER_KEY = 'remap.drawer';

export class Drawer {
  private readonly changed = new Listeners<readonly number[]>();

  constructor(private readonly store: StateStore) {}

  get ids(): number[] {
    const v = this.store.get<unknown>(DRAWER_KEY);
    return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : [];
  }

  has(id: number): boolean {
    return this.ids.includes(id);
  }

  async add(ids: readonly number[]): Promise<void> {
    await this.set(drawerAdd(this.ids, ids));
  }

  async remove(ids: readonly number[]): Promise<void> {
    await this.set(drawerRemove(this.ids, ids));
  }

  /**
   * Start a workspace's drawer with `id` (the best model) the first time models are known, so
   * it does not open empty; once the drawer was ever saved — even cleared — it is left alone.
   */
  async seed(id: number | undefined): Promise<boolean> {
    if (id === undefined || this.store.get<unknown>(DRAWER_KEY) !== undefined) return false;
    await this.set([id]);
    return true;
  }

  async clear(): Promise<void> {
    await this.set([]);
  }

  onDidChange(listener: (ids: readonly number[]) => void): Subscription {
    return this.changed.on(listener);
  }

  private async set(ids: number[]): Promise<void> {
    const before = this.ids;
    if (before.length === ids.length && before.every((v, i) => v === ids[i])) return;
    await this.store.update(DRAWER_KEY, ids);
    this.changed.fire(ids);
  }
}
