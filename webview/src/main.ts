/**
 * Entry point inside VS Code (dist/webview/main.js): connects to the extension through
 * acquireVsCodeApi() and mounts the panel named by the PanelContext the extension sends
 * after our 'ready' message. See webview/README.md.
 */
import { mountApp, showFatal } from './app';
import type { VsCodeApi } from './host';
import { VsCodeHost } from './host';
import { mountServerBanner } from './serverBanner';

declare function acquireVsCodeApi(): VsCodeApi;

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('REMAP webview: the page has no <div id="app">');
  if (typeof acquireVsCodeApi !== 'function') {
    showFatal(root, 'REMAP webview: not running inside VS Code (acquireVsCodeApi is missing).');
    return;
  }
  const host = new VsCodeHost(acquireVsCodeApi(), window);
  mountApp(host, root);
  mountServerBanner(host, root);
  host.ready();
}

start();
