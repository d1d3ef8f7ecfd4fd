/**
 * The webview panels (map, builder, queue, diff): one WebviewPanel per kind, strict CSP with a
 * nonce (panelHtml.ts), resources through `asWebviewUri`, a WebviewPanelSerializer per kind so
 * panels come back after a reload, and the bridge: webview requests → the language client,
 * server notifications → every panel, host commands → the extension. Everything sent before a
 * page says `ready` is queued (ReadyGate), so nothing is lost.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Drawer } from './drawer';
import { errorText, log } from './log';
import { type PanelKind, PANEL_KINDS, contextFromState, makeNonce, panelHtml, panelTitle, splitLine, viewType } from './panelHtml';
import {
  type HostCommand,
  type HostToWebview,
  Methods,
  type PanelContext,
  type RequestMethod,
  type WebviewToHost,
} from '../../protocol/remap';
import { ReadyGate } from './readyGate';
import type { RemapServer } from './server';

/** What the panels ask the rest of the extension to do. */
export interface PanelActions {
  exportModel(modelId: number): Promise<void>;
}

const REQUEST_METHODS = new Set<string>(Object.values(Methods));

function themeKind(): PanelContext['theme'] {
  const kind = vscode.window.activeColorTheme.kind;
  if (kind === vscode.ColorThemeKind.Light) return 'light';
  if (kind === vscode.ColorThemeKind.HighContrast || kind === vscode.ColorThemeKind.HighContrastLight) return 'high-contrast';
  return 'dark';
}

function isMessage(value: unknown): value is WebviewToHost {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

class PanelHost implements vscode.Disposable {
  readonly gate: ReadyGate;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    readonly kind: PanelKind,
    readonly panel: vscode.WebviewPanel,
    public context: Omit<PanelContext, 'drawer' | 'theme'>,
    private readonly owner: Panels,
  ) {
    this.gate = new ReadyGate(
      (m) => void this.panel.webview.postMessage(m),
      () => ({ kind: 'context', context: this.fullContext() }),
    );
    this.subs.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidDispose(() => this.owner.forget(this)),
    );
    this.load();
  }

  fullContext(): PanelContext {
    return { ...this.context, drawer: this.owner.drawer.ids, theme: themeKind(), server: this.owner.serverStatus() };
  }

  /** (Re)load the page; messages wait for its `ready`. */
  load(): void {
    const root = vscode.Uri.file(path.join(this.owner.extensionPath, 'dist', 'webview'));
    const webview = this.panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [root] };
    this.gate.reset();
    webview.html = panelHtml({
      panel: this.kind,
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'remap.css')).toString(),
      title: panelTitle(this.fullContext()),
    });
  }

  update(patch: Partial<Omit<PanelContext, 'drawer' | 'theme' | 'panel'>>): void {
    this.context = { ...this.context, ...patch };
    this.panel.title = panelTitle(this.fullContext());
    this.sendContext();
  }

  sendContext(): void {
    this.gate.send({ kind: 'context', context: this.fullContext() });
  }

  send(message: HostToWebview): void {
    this.gate.send(message);
  }

  private receive(raw: unknown): void {
    if (!isMessage(raw)) {
      log().warn(`${this.kind} panel: ignored a malformed message`);
      return;
    }
    switch (raw.kind) {
      case 'ready':
        log().debug(`${this.kind} panel ready (${this.gate.pending} queued messages)`);
        this.gate.markReady();
        return;
      case 'request':
        void this.forward(raw.id, raw.method, raw.params);
        return;
      case 'command':
        void this.owner.runCommand(raw.command, this).catch((err: unknown) => {
          log().error(`${this.kind} panel command ${raw.command?.name}: ${errorText(err)}`);
          void vscode.window.showErrorMessage(`REMAP: ${errorText(err)}`);
        });
        return;
      default:
        log().warn(`${this.kind} panel: unknown message kind ${(raw as { kind: string }).kind}`);
    }
  }

  private async forward(id: number, method: RequestMethod, params: unknown): Promise<void> {
    if (!REQUEST_METHODS.has(method)) {
      this.send({ kind: 'response', id, error: { code: -32601, message: `unknown method ${String(method)}` } });
      return;
    }
    try {
      const result = await this.owner.server.request(method, (params ?? {}) as Record<string, unknown>);
      this.send({ kind: 'response', id, result });
    } catch (err) {
      const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -32603;
      log().info(`${this.kind} panel: ${method} failed: ${errorText(err)}`);
      this.send({ kind: 'response', id, error: { code, message: errorText(err) } });
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

export class Panels implements vscode.Disposable {
  private readonly hosts = new Map<PanelKind, PanelHost>();
  private readonly subs: vscode.Disposable[] = [];
  /** The model last inspected through the extension (quick picks offer it first). */
  focusedModel: number | undefined;

  constructor(
    readonly extensionPath: string,
    readonly server: RemapServer,
    readonly drawer: Drawer,
    private readonly actions: PanelActions,
  ) {
    this.subs.push(
      server.onNotification((n) => this.broadcast({ kind: 'notification', method: n.method, params: n.params })),
      vscode.window.onDidChangeActiveColorTheme(() => this.broadcastContext()),
      // panels show a "server stopped" banner with Restart while the server is down
      server.onDidChangeState(() => this.broadcastContext()),
    );
    const drawerSub = drawer.onDidChange(() => this.broadcastContext());
    this.subs.push({ dispose: () => drawerSub.dispose() });
  }

  /** What the panels' context says about the server (its state, and why it is not running). */
  serverStatus(): NonNullable<PanelContext['server']> {
    const state = this.server.state;
    const reason = state === 'failed' || state === 'stopped' ? this.server.lastError : undefined;
    return reason ? { state, reason } : { state };
  }

  /** Register one serializer per panel kind (panels survive a window reload). */
  registerSerializers(): vscode.Disposable[] {
    return PANEL_KINDS.map((kind) =>
      vscode.window.registerWebviewPanelSerializer(viewType(kind), {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          log().info(`restoring the ${kind} panel`);
          const ctx = contextFromState(kind, state, this.drawer.ids);
          this.adopt(kind, panel, ctx);
        },
      }),
    );
  }

  /** Open (or reveal) the panel of `kind` and update its context. */
  open(kind: PanelKind, patch: Partial<Omit<PanelContext, 'drawer' | 'theme' | 'panel'>> = {}, preserveFocus = false): void {
    if (patch.focusModel !== undefined) this.focusedModel = patch.focusModel;
    const existing = this.hosts.get(kind);
    if (existing) {
      existing.update(patch);
      existing.panel.reveal(undefined, preserveFocus);
      return;
    }
    // Builder, queue and diff open as tabs in the map's editor group (or the active one):
    // beside the map each got half the width and the maps collapsed to slivers.
    const column = kind === 'map' ? vscode.ViewColumn.One : (this.hosts.get('map')?.panel.viewColumn ?? vscode.ViewColumn.Active);
    const ctx: PanelContext = { panel: kind, drawer: this.drawer.ids, ...patch };
    const panel = vscode.window.createWebviewPanel(
      viewType(kind),
      panelTitle(ctx),
      { viewColumn: column, preserveFocus },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.file(path.join(this.extensionPath, 'dist', 'webview'))],
      },
    );
    this.adopt(kind, panel, ctx);
  }

  revealModel(modelId: number): void {
    this.open('map', { focusModel: modelId });
  }

  isOpen(kind: PanelKind): boolean {
    return this.hosts.has(kind);
  }

  broadcast(message: HostToWebview): void {
    for (const host of this.hosts.values()) host.send(message);
  }

  broadcastContext(): void {
    for (const host of this.hosts.values()) host.sendContext();
  }

  /** A host command from a webview (webview/README.md, HostCommand). */
  async runCommand(command: HostCommand, from: PanelHost): Promise<void> {
    switch (command.name) {
      case 'addToDrawer':
        await this.drawer.add(command.modelIds);
        return;
      case 'removeFromDrawer':
        await this.drawer.remove(command.modelIds);
        return;
      case 'revealModel':
        this.revealModel(command.modelId);
        return;
      case 'openBuilder':
        this.open('builder', { focusModel: command.modelId });
        return;
      case 'openDiff':
        this.open('diff', { diff: { a: command.a, b: command.b } });
        return;
      case 'exportModel':
        await this.actions.exportModel(command.modelId);
        return;
      case 'openFile': {
        const { file, line } = splitLine(command.path);
        const folder = vscode.workspace.workspaceFolders?.[0];
        const abs = path.isAbsolute(file) || !folder ? file : path.join(folder.uri.fsPath, file);
        const editor = await vscode.window.showTextDocument(vscode.Uri.file(abs), { preview: false });
        if (line !== undefined) {
          const pos = new vscode.Position(Math.max(0, line - 1), 0);
          editor.selection = new vscode.Selection(pos, pos);
          editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        }
        return;
      }
      case 'showError':
        void vscode.window.showErrorMessage(`REMAP: ${command.message}`);
        return;
      case 'restartServer':
        await this.server.restart();
        return;
      default:
        log().warn(`${from.kind} panel: unknown host command ${(command as { name: string }).name}`);
    }
  }

  forget(host: PanelHost): void {
    if (this.hosts.get(host.kind) === host) this.hosts.delete(host.kind);
    host.dispose();
  }

  dispose(): void {
    for (const host of [...this.hosts.values()]) {
      host.panel.dispose();
    }
    this.hosts.clear();
    for (const s of this.subs) s.dispose();
  }

  private adopt(kind: PanelKind, panel: vscode.WebviewPanel, ctx: PanelContext): void {
    panel.iconPath = vscode.Uri.file(path.join(this.extensionPath, 'media', 'remap.svg'));
    const rest: Omit<PanelContext, 'drawer' | 'theme'> = { panel: ctx.panel };
    if (ctx.focusModel !== undefined) rest.focusModel = ctx.focusModel;
    if (ctx.diff !== undefined) rest.diff = ctx.diff;
    const old = this.hosts.get(kind);
    if (old) old.panel.dispose();
    const host = new PanelHost(kind, panel, rest, this);
    this.hosts.set(kind, host);
    if (ctx.focusModel !== undefined) this.focusedModel = ctx.focusModel;
  }
}
