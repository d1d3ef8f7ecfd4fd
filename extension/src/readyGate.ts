/**
 * Holds the messages the extension sends to a webview until the page says `ready`, so nothing
 * is lost while the page loads (or reloads). On `ready` the current panel context goes first
 * (the webview README requires it), then everything buffered, in order. A newer `context`
 * supersedes a buffered older one. No 'vscode' import.
 */
import type { HostToWebview } from '../../protocol/remap';

export type Post = (message: HostToWebview) => void;

export class ReadyGate {
  private ready = false;
  private buffer: HostToWebview[] = [];

  constructor(
    private readonly post: Post,
    private readonly contextMessage: () => HostToWebview,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  /** Messages waiting for `ready`. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Send now if the page is ready, else keep it for later. */
  send(message: HostToWebview): void {
    if (this.ready) {
      this.post(message);
      return;
    }
    if (message.kind === 'context') this.buffer = this.buffer.filter((m) => m.kind !== 'context');
    this.buffer.push(message);
  }

  /** The page ran its script: send the context, then the buffer. */
  markReady(): void {
    this.ready = true;
    const queued = this.buffer.filter((m) => m.kind !== 'context');
    this.buffer = [];
    this.post(this.contextMessage());
    for (const m of queued) this.post(m);
  }

  /** The page is being (re)loaded: buffer again until its next `ready`. */
  reset(): void {
    this.ready = false;
  }
}
