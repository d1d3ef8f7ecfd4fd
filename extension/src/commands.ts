/**
 * Registers every client command (`remap.*`; the server's own are `remap.server.*` and are
 * registered by the language client): panels, experiments, queue and drawer actions from the
 * trees, server restart / logs / interpreter. Also turns the results of the server commands
 * behind code lenses (show on map, ablate, vary, train, export variant) into UI.
 */
import * as vscode from 'vscode';
import type { Drawer } from './drawer';
import {
  type Deps,
  ablateModel,
  exportModel,
  importModel,
  openExported,
  sampleModels,
  selectDataset,
  trainModels,
  varyModel,
} from './experiments';
import { selectInterpreter } from './interpreter';
import { trackJobs } from './jobProgress';
import { errorText, log, showLogs } from './log';
import { pickModel } from './picks';
import { type Job, ServerCommands } from '../../protocol/remap';
import type { CommandResult } from './server';
import type { DrawerProvider, ModelsProvider } from './trees';
import { type DrawerSort, type ModelSort, modelIdOf, modelIdsOf, moveJob } from './treeData';

export interface CommandDeps extends Deps {
  drawer: Drawer;
  drawerView: DrawerProvider;
  modelsView: ModelsProvider;
  /** Re-describe the views (counts, sort order) after a change. */
  describeViews: () => void;
}

function jobOf(arg: unknown): Job | undefined {
  const j = arg as Partial<Job> | undefined;
  return j && typeof j.id === 'number' && typeof j.modelId === 'number' && typeof j.state === 'string' ? (j as Job) : undefined;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const { server, data, panels, drawer } = d;
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => unknown) =>
    async (...args: A) => {
      try {
        await fn(...args);
      } catch (err) {
        log().error(`${name}: ${errorText(err)}`);
        const picked = await vscode.window.showErrorMessage(`REMAP: ${errorText(err)}`, 'Show logs');
        if (picked) showLogs();
      }
    };
  const reg = <A extends unknown[]>(name: string, fn: (...args: A) => unknown) =>
    vscode.commands.registerCommand(name, guard(name, fn));
  const chooseModel = (title: string, arg: unknown) =>
    modelIdOf(arg) ?? pickModel(server, data, { title, preferred: panels.focusedModel });

  const queueAction = async (job: Job | undefined, action: 'cancel' | 'up' | 'down') => {
    if (!job) return;
    if (action === 'cancel') {
      await server.request('remap/queue', { action: 'cancel', jobId: job.id });
    } else {
      const order = moveJob(data.queue?.jobs ?? [], job.id, action);
      if (!order) return;
      data.setQueue(await server.request('remap/queue', { action: 'reorder', order }));
    }
    await data.refreshQueue();
  };

  const first = () => {
    void server.start(true);
  };

  return [
    reg('remap.openMap', () => {
      first();
      panels.open('map');
    }),
    reg('remap.openBuilder', async (arg?: unknown) => {
      const id = await chooseModel('REMAP: Open Layer Builder', arg);
      if (id !== undefined) panels.open('builder', { focusModel: id });
    }),
    reg('remap.openDiff', async (arg?: unknown) => {
      const a = await chooseModel('REMAP: Compare — first model', arg);
      if (a === undefined) return;
      const parent = data.byId.get(a)?.parentId ?? undefined;
      const b = await pickModel(server, data, { title: `REMAP: Compare model ${data.label(a)} with…`, preferred: parent, filter: (r) => r.id !== a });
      if (b !== undefined) panels.open('diff', { diff: { a, b } });
    }),
    reg('remap.showQueue', () => {
      first();
      panels.open('queue');
    }),
    reg('remap.revealModel', (arg?: unknown) => {
      const id = modelIdOf(arg);
      if (id !== undefined) panels.revealModel(id);
    }),
    reg('remap.sampleModels', () => sampleModels(d)),
    reg('remap.ablateModel', async (arg?: unknown) => ablateModel(d, modelIdOf(arg))),
    reg('remap.varyModel', async (arg?: unknown) => varyModel(d, modelIdOf(arg))),
    reg('remap.trainModels', (arg?: unknown, selection?: unknown) => trainModels(d, arg === undefined ? undefined : modelIdsOf(arg, selection))),
    reg('remap.exportModel', (arg?: unknown) => exportModel(d, modelIdOf(arg))),
    reg('remap.importModel', (arg?: unknown) => importModel(d, arg)),
    reg('remap.selectDataset', () => selectDataset()),
    reg('remap.restartServer', () => server.restart()),
    reg('remap.showLogs', () => showLogs()),
    reg('remap.selectInterpreter', () => selectInterpreter(vscode.workspace.workspaceFolders?.[0])),
    reg('remap.refresh', () => data.refresh()),
    reg('remap.addToDrawer', async (arg?: unknown, selection?: unknown) => {
      const ids = modelIdsOf(arg, selection);
      if (ids.length === 0) {
        const id = await pickModel(server, data, { title: 'REMAP: Add to Drawer', filter: (r) => !drawer.has(r.id) });
        if (id !== undefined) ids.push(id);
      }
      await drawer.add(ids);
    }),
    reg('remap.removeFromDrawer', (arg?: unknown, selection?: unknown) => drawer.remove(modelIdsOf(arg, selection))),
    reg('remap.clearDrawer', () => drawer.clear()),
    reg('remap.sortDrawer', async () => {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'Order added', sort: 'added' as DrawerSort },
          { label: 'Accuracy (best first)', sort: 'accuracy' as DrawerSort },
          { label: 'Parameters (smallest first)', sort: 'params' as DrawerSort },
        ],
        { title: 'REMAP: Sort the drawer', ignoreFocusOut: true },
      );
      if (pick) {
        d.drawerView.sort = pick.sort;
        d.drawerView.refresh();
      }
    }),
    reg('remap.sortModels', async () => {
      const current = d.modelsView.sort;
      const options: { label: string; sort: ModelSort }[] = [
        { label: 'Accuracy (best first)', sort: 'accuracy' },
        { label: 'Parameters (smallest first)', sort: 'params' },
        { label: 'Recency (newest first)', sort: 'recent' },
      ];
      const pick = await vscode.window.showQuickPick(
        options.map((o) => ({ ...o, description: o.sort === current ? 'current' : undefined })),
        { title: 'REMAP: Sort All Models', ignoreFocusOut: true },
      );
      if (pick) {
        d.modelsView.sort = pick.sort;
        d.modelsView.refresh();
        d.describeViews();
      }
    }),
    reg('remap.cancelJob', (arg?: unknown) => queueAction(jobOf(arg), 'cancel')),
    reg('remap.moveJobUp', (arg?: unknown) => queueAction(jobOf(arg), 'up')),
    reg('remap.moveJobDown', (arg?: unknown) => queueAction(jobOf(arg), 'down')),
    reg('remap.pauseQueue', async () => data.setQueue(await server.request('remap/queue', { action: 'pause' }))),
    reg('remap.resumeQueue', async () => data.setQueue(await server.request('remap/queue', { action: 'resume' }))),
    server.onCommandResult((r) => void onServerCommand(d, r).catch((err: unknown) => log().error(`${r.command}: ${errorText(err)}`))),
  ];
}

/** UI for the results of the code-lens / code-action commands the server ran. */
async function onServerCommand(d: CommandDeps, r: CommandResult): Promise<void> {
  const result = (r.result ?? {}) as { modelId?: unknown; jobs?: unknown; created?: unknown; path?: unknown; uri?: unknown };
  const modelId = typeof result.modelId === 'number' ? result.modelId : undefined;
  const jobs = Array.isArray(result.jobs) ? result.jobs.filter((j): j is number => typeof j === 'number') : [];
  log().info(`server command ${r.command} → ${JSON.stringify(r.result)}`);
  void d.data.refreshModels();
  switch (r.command) {
    case ServerCommands.showOnMap:
      if (modelId !== undefined) d.panels.revealModel(modelId);
      return;
    case ServerCommands.ablate:
    case ServerCommands.vary:
    case ServerCommands.train: {
      const what = r.command === ServerCommands.train ? 'training' : r.command === ServerCommands.ablate ? 'ablation' : 'variations';
      if (jobs.length) void trackJobs(d.server, d.data, `REMAP: ${what} of model ${modelId === undefined ? '?' : d.data.label(modelId)}`, jobs);
      else void vscode.window.showInformationMessage(`REMAP: ${what} of model ${modelId === undefined ? '?' : d.data.label(modelId)}: nothing new to train.`);
      return;
    }
    case ServerCommands.exportVariant:
      await openExported(result);
      return;
    default:
      return;
  }
}
