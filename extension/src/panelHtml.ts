/**
 * The HTML every REMAP webview panel serves (the page contract in webview/README.md): a strict
 * Content-Security-Policy with a per-load nonce, the bundled stylesheet and script, and
 * `#app[data-panel]`. Pure; no 'vscode' import.
 */
import { idLabel } from '../../protocol/models';
import { randomBytes } from 'node:crypto';
import type { PanelContext } from '../../protocol/remap';

export type PanelKind = PanelContext['panel'];
export const PANEL_KINDS: readonly PanelKind[] = ['map', 'builder', 'queue', 'diff'];

/** A fresh nonce (base64url of 18 random bytes). */
export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface PanelHtmlOptions {
  panel: PanelKind;
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title?: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ') + ';';
}

export function panelHtml(o: PanelHtmlOptions): string {
  const nonce = escapeAttr(o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
  <title>${escapeAttr(o.title ?? 'REMAP')}</title>
</head>
<body>
  <div id="app" data-panel="${escapeAttr(o.panel)}"></div>
  <script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}

/** The webview's saved state, as far as the extension reads it (webview/README.md). */
export interface SavedPanelState {
  panel?: unknown;
  focusModel?: unknown;
  diff?: unknown;
}

/** Rebuild the panel context of a restored panel from its saved state (bad fields dropped). */
export function contextFromState(
  kind: PanelKind,
  state: unknown,
  drawer: number[],
): PanelContext {
  const s = (typeof state === 'object' && state !== null ? state : {}) as SavedPanelState;
  const ctx: PanelContext = { panel: kind, drawer };
  if (typeof s.focusModel === 'number' && Number.isInteger(s.focusModel)) ctx.focusModel = s.focusModel;
  const d = s.diff as { a?: unknown; b?: unknown } | undefined;
  if (d && Number.isInteger(d.a) && Number.isInteger(d.b)) ctx.diff = { a: d.a as number, b: d.b as number };
  return ctx;
}

/** The editor tab title of a panel. */
export function panelTitle(ctx: PanelContext): string {
  switch (ctx.panel) {
    case 'map':
      return 'REMAP: Model Map';
    case 'builder':
      return ctx.focusModel !== undefined ? `REMAP: Builder · ${idLabel(ctx.focusModel)}` : 'REMAP: Layer Builder';
    case 'queue':
      return 'REMAP: Queue';
    case 'diff':
      return ctx.diff ? `REMAP: Diff ${idLabel(ctx.diff.a)} ↔ ${idLabel(ctx.diff.b)}` : 'REMAP: Diff';
  }
}

/** The view type a panel kind registers (and its serializer). */
export function viewType(kind: PanelKind): string {
  return `remap.${kind}`;
}

/** "file.py:12" (a model's source) → the file and the 1-based line; a plain path has no line. */
export function splitLine(p: string): { file: string; line?: number } {
  const m = /^(.*\.pyi?):(\d+)$/.exec(p);
  return m ? { file: m[1] as string, line: Number(m[2]) } : { file: p };
}
