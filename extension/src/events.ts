/** A tiny listener list (so the data modules stay free of the 'vscode' import). */

export interface Subscription {
  dispose(): void;
}

export class Listeners<T> {
  private readonly list = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Subscription {
    this.list.add(listener);
    return { dispose: () => this.list.delete(listener) };
  }

  fire(value: T): void {
    for (const l of [...this.list]) {
      try {
        l(value);
      } catch (err) {
        console.error('REMAP listener failed', err);
      }
    }
  }

  clear(): void {
    this.list.clear();
  }
}
