/**
 * REMAP for VS Code: wiring only. The language server (server.ts), the model/queue cache
 * (state.ts), the drawer (drawer.ts), webview panels (panels.ts), tree views (trees.ts), the
 * status bar (statusBar.ts) and commands (commands.ts) are created here and connected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Drawer } from './drawer';
import type { EpochNotice } from './epochProgress';
import { exportModel } from './experiments';
import { onPythonInterpreterChange } from './interpreter';
import { createLog, errorText, log } from './log';
import { Panels } from './panels';
import { Notifications, type QueueState } from '../../protocol/remap';
import { RemapServer } from './server';
import { SECTION, needsRestart, pythonSetting } from './settings';
import { RemapData } from './state';
import { createStatusBar } from './statusBar';
import { registerExplore } from './explore';
import { registerSuggestions } from './suggestions';
import { createTrees } from './trees';

let server: RemapServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  context.subscriptions.push(log);
  log.info(`REMAP ${String(context.extension.packageJSON.version)} activating`);

  const srv = new RemapServer(context);
  server = srv;
  const data = new RemapData({
    listModels: async () => (await srv.request('remap/listModels', {})).models,
    listQueue: () => srv.request('remap/queue', { action: 'list' }),
  });
  const drawer = new Drawer(context.workspaceState);
  const deps = { server: srv, data, panels: undefined as unknown as Panels };
  const panels = new Panels(context.extensionPath, srv, drawer, { exportModel: (id) => exportModel(deps, id) });
  deps.panels = panels;
  const trees = createTrees(data, drawer, srv);
  let everRunning = false;

  context.subscriptions.push(
    srv,
    panels,
    trees.disposable,
    registerSuggestions(srv, data),
    registerExplore(srv),
    createStatusBar(srv, data),
    ...panels.registerSerializers(),
    ...registerCommands({ ...deps, drawer, drawerView: trees.drawer, modelsView: trees.models, describeViews: trees.describe }),
    data.onDidChange((what) => {
      if (what === 'models') void drawer.seed(data.best()?.id);
    }),
    srv.onNotification((n) => {
      if (n.method === Notifications.modelsChanged) void data.refreshModels();
      else if (n.method === Notifications.queueChanged) data.setQueue(n.params as QueueState);
      else if (n.method === Notifications.epoch) data.recordEpoch(n.params as EpochNotice);
    }),
    srv.onDidChangeState((state) => {
      if (state !== 'running') {
        data.forgetQueue();
        return;
      }
      const reconnect = everRunning;
      everRunning = true;
      void refetch(srv, data).then(() => {
        if (!reconnect) return;
        // A new server process: the panels may have missed notifications while it was down.
        log.info('server back: panels refetch');
        panels.broadcast({ kind: 'notification', method: Notifications.modelsChanged, params: { added: [], updated: [] } });
        const queue = data.queue;
        if (queue) {
          const active = queue.jobs.filter((j) => j.state === 'queued' || j.state === 'running');
          panels.broadcast({ kind: 'notification', method: Notifications.queueChanged, params: { summary: queue.summary, jobs: active } });
        }
      });
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (needsRestart((s) => e.affectsConfiguration(s))) {
        if (srv.state !== 'stopped') void srv.restart();
      } else {
        void srv.sendSettings().catch((err: unknown) => log.warn(`settings not sent: ${errorText(err)}`));
      }
    }),
  );

  void onPythonInterpreterChange(() => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (pythonSetting(vscode.workspace.getConfiguration(SECTION, folder?.uri)) === '' && srv.state !== 'stopped') {
      log.info('the Python extension selected another interpreter: restarting the server');
      void srv.restart();
    }
  }).then((d) => d && context.subscriptions.push(d));

  // Prompts (install, select interpreter) only where REMAP is clearly in use: a workspace that
  // has a REMAP store or an explicit interpreter setting. Elsewhere a failure is logged and the
  // status bar offers "set up".
  const folder = vscode.workspace.workspaceFolders?.[0];
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const interactive =
    (folder !== undefined && fs.existsSync(path.join(folder.uri.fsPath, '.remap'))) || pythonSetting(config) !== '';
  void srv.start(interactive);
}

/**
 * Re-read models and queue from a server that just reached 'running'. A read that fails (the
 * server busy finishing its start-up) is retried while that server still runs, so the status
 * bar and trees are never left on what the previous server said.
 */
async function refetch(srv: RemapServer, data: RemapData): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await data.refresh();
    if (data.lastError === undefined || srv.state !== 'running' || attempt >= 5) return;
    log().warn(`re-reading models and queue failed (${data.lastError}); retrying`);
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
