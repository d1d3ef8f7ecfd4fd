/**
 * The status-bar item: the queue state ("REMAP: 2 training · 5 queued") while the server runs,
 * or the server's state (starting, stopped with the reason). Click → the queue; when the
 * server failed, click → restart.
 */
import * as vscode from 'vscode';
import { queueStatusIcon, queueStatusText, queueStatusTooltip } from './format';
import type { RemapServer } from './server';
import type { RemapData } from './state';

export function createStatusBar(server: RemapServer, data: RemapData): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('remap.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'REMAP';
  const update = () => {
    const state = server.state;
    item.backgroundColor = undefined;
    if (state === 'running') {
      const summary = data.queue?.summary;
      item.text = `${queueStatusIcon(summary)} ${queueStatusText(summary)}`;
      item.tooltip = queueStatusTooltip(summary);
      item.command = 'remap.showQueue';
    } else if (state === 'starting') {
      item.text = '$(loading~spin) REMAP: starting';
      item.tooltip = 'The REMAP language server is starting';
      item.command = 'remap.showLogs';
    } else if (state === 'failed' && server.needsSetup) {
      item.text = '$(beaker) REMAP: set up';
      item.tooltip = `${server.lastError ?? 'REMAP needs a Python interpreter with remap and torch'}\nClick to set it up`;
      item.command = 'remap.restartServer';
    } else if (state === 'failed') {
      item.text = '$(error) REMAP: stopped';
      item.tooltip = `${server.lastError ?? 'The REMAP language server is not running'}\nClick to restart it`;
      item.command = 'remap.restartServer';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      item.text = '$(beaker) REMAP';
      item.tooltip = 'The REMAP language server is not running. Click to start it.';
      item.command = 'remap.restartServer';
    }
    item.show();
  };
  update();
  const subs = [server.onDidChangeState(update), data.onDidChange((what) => what === 'queue' && update())];
  return vscode.Disposable.from(item, ...subs);
}
