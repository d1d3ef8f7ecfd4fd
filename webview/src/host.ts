/**
 * The webview's only window to the outside: the `Host` interface, and `VsCodeHost`, its
 * implementation inside VS Code (postMessage to the extension, which forwards requests to
 * the language server). See webview/README.md for the message flow.
 */
import type {
  HostCommand,
  HostToWebview,
  NotificationMap,
  NotificationMethod,
  PanelContext,
  RequestMap,
  RequestMethod,
  WebviewToHost,
} from '../../protocol/remap';

export type HostNotification = {
  [M in NotificationMethod]: { method: M; params: NotificationMap[M] };
}[NotificationMethod];

export interface Host {
  /** 'vscode' inside the editor, 'report' in the static HTML report. */
  readonly kind: 'vscode' | 'report';
  /** True when nothing can be generated, trained, queued or exported. */
  readonly readOnly: boolean;
  request<M extends RequestMethod>(method: M, params: RequestMap[M]['params']): Promise<RequestMap[M]['result']>;
  /** Subscribe to server notifications; returns an unsubscribe function. */
  onNotification(cb: (n: HostNotification) => void): () => void;
  /** Subscribe to panel contexts; the latest one (if any) is replayed at once. */
  onContext(cb: (c: PanelContext) => void): () => void;
  command(c: HostCommand): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** A failed request: the JSON-RPC code and the server's message. */
export class RequestError extends Error {
  constructor(readonly method: string, readonly code: number, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What acquireVsCodeApi() returns. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

type Pending = { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A small listener set that replays nothing. */
export class Listeners<T> {
  private readonly set = new Set<(v: T) => void>();
  add(cb: (v: T) => void): () => void {
    this.set.add(cb);
    return () => this.set.delete(cb);
  }
  emit(v: T): void {
    for (const cb of [...this.set]) {
      try {
        cb(v);
      } catch (err) {
        console.error('REMAP webview listener failed', err);
      }
    }
  }
}

export class VsCodeHost implements Host {
  readonly kind = 'vscode' as const;
  readonly readOnly = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly notifications = new Listeners<HostNotification>();
  private readonly contexts = new Listeners<PanelContext>();
  private context: PanelContext | null = null;

  constructor(private readonly api: VsCodeApi, win: Window) {
    win.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  /** Tell the extension the listeners are attached (call once, after constructing). */
  ready(): void {
    this.post({ kind: 'ready' });
  }

  private post(message: WebviewToHost): void {
    this.api.postMessage(message);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const msg = data as HostToWebview;
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new RequestError(p.method, msg.error.code, msg.error.message));
      else p.resolve(msg.result);
    } else if (msg.kind === 'notification') {
      this.notifications.emit({ method: msg.method, params: msg.params } as HostNotification);
    } else if (msg.kind === 'context') {
      this.context = msg.context;
      this.contexts.emit(msg.context);
    }
  }

  request<M extends RequestMethod>(method: M, params: RequestMap[M]['params']): Promise<RequestMap[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.post({ kind: 'request', id, method, params });
    });
  }

  onNotification(cb: (n: HostNotification) => void): () => void {
    return this.notifications.add(cb);
  }

  onContext(cb: (c: PanelContext) => void): () => void {
    const off = this.contexts.add(cb);
    if (this.context) cb(this.context);
    return off;
  }

  command(c: HostCommand): void {
    this.post({ kind: 'command', command: c });
  }

  getState(): unknown {
    return this.api.getState();
  }

  setState(state: unknown): void {
    this.api.setState(state);
  }
}
