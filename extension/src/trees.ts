/**
 * The REMAP activity-bar views: Drawer (saved models with accuracy and parameters, persisted in
 * the workspace state), Queue (live jobs with inline cancel / move up / move down),
 * Experiments (each parent with its ablation / variation / hand-crafted children and their
 * Δaccuracy) and All models (every model in the store, sorted by accuracy, size or recency).
 * Clicking a model reveals it on the map. The node shapes come from treeData.ts.
 */
import * as vscode from 'vscode';
import type { Drawer } from './drawer';
import { jobDescription, modelDescription, modelTooltip } from './format';
import { idLabel, modelLabel } from '../../protocol/models';
import type { Job, ModelRow } from '../../protocol/remap';
import type { RemapServer } from './server';
import type { RemapData } from './state';
import {
  type DrawerEntry,
  type DrawerSort,
  type ExperimentGroupNode,
  type ExperimentModelNode,
  type ExperimentNode,
  type ModelSort,
  buildExperiments,
  drawerEntries,
  experimentDescription,
  queueOrder,
  sortModels,
} from './treeData';

export { modelIdOf } from './treeData';

export const VIEW_IDS = { drawer: 'remap.drawer', queue: 'remap.queue', experiments: 'remap.experiments', models: 'remap.models' } as const;

export const MODEL_SORT_LABELS: Record<ModelSort, string> = { accuracy: 'by accuracy', params: 'by size', recent: 'newest first' };

const STATE_ICONS: Record<ModelRow['state'], string> = {
  untrained: 'circle-outline',
  queued: 'clock',
  training: 'sync~spin',
  trained: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
};

function modelIcon(row: ModelRow | undefined): vscode.ThemeIcon {
  if (!row) return new vscode.ThemeIcon('question');
  if (row.state === 'failed') return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  return new vscode.ThemeIcon(STATE_ICONS[row.state]);
}

function reveal(id: number): vscode.Command {
  return { command: 'remap.revealModel', title: 'Show on Map', arguments: [id] };
}

abstract class Provider<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  protected readonly emitter = new vscode.EventEmitter<T | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  abstract getTreeItem(element: T): vscode.TreeItem;
  abstract getChildren(element?: T): T[];
  refresh(): void {
    this.emitter.fire(undefined);
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

// -- drawer -----------------------------------------------------------------------------------

export class DrawerProvider extends Provider<DrawerEntry> {
  sort: DrawerSort = 'accuracy';

  constructor(
    private readonly drawer: Drawer,
    private readonly data: RemapData,
  ) {
    super();
  }

  getChildren(element?: DrawerEntry): DrawerEntry[] {
    return element ? [] : drawerEntries(this.drawer.ids, this.data.byId, this.sort);
  }

  getTreeItem(e: DrawerEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(e.row ? modelLabel(e.row) : idLabel(e.id));
    item.id = `drawer:${e.id}`;
    item.description = e.row ? modelDescription(e.row) : 'not in this store';
    item.tooltip = e.row ? modelTooltip(e.row, e.row.parentId !== null ? this.data.byId.get(e.row.parentId) : undefined) : undefined;
    item.iconPath = modelIcon(e.row);
    item.contextValue = e.row ? `model.drawer.${e.row.state}` : 'model.drawer.missing';
    if (e.row) item.command = reveal(e.id);
    return item;
  }
}

// -- all models -------------------------------------------------------------------------------

export class ModelsProvider extends Provider<ModelRow> {
  sort: ModelSort = 'accuracy';

  constructor(private readonly data: RemapData) {
    super();
  }

  getChildren(element?: ModelRow): ModelRow[] {
    return element ? [] : sortModels(this.data.models, this.sort);
  }

  getTreeItem(row: ModelRow): vscode.TreeItem {
    const item = new vscode.TreeItem(modelLabel(row));
    item.id = `model:${row.id}`;
    item.description = `${modelDescription(row)} · ${row.origin}`;
    item.tooltip = modelTooltip(row, row.parentId !== null ? this.data.byId.get(row.parentId) : undefined);
    item.iconPath = modelIcon(row);
    item.contextValue = `model.all.${row.state}`;
    item.command = reveal(row.id);
    return item;
  }
}

// -- queue ------------------------------------------------------------------------------------

export class QueueProvider extends Provider<Job> {
  constructor(private readonly data: RemapData) {
    super();
  }

  getChildren(element?: Job): Job[] {
    return element ? [] : queueOrder(this.data.queue?.jobs ?? []);
  }

  getTreeItem(job: Job): vscode.TreeItem {
    const row = this.data.byId.get(job.modelId);
    const item = new vscode.TreeItem(row ? modelLabel(row) : idLabel(job.modelId));
    item.id = `job:${job.id}`;
    // the server's `position` is a sort key, not a place in line: count the queued jobs ahead
    const queued = queueOrder(this.data.queue?.jobs ?? []).filter((j) => j.state === 'queued');
    const index = queued.findIndex((j) => j.id === job.id);
    item.description = jobDescription(job, row, {
      ...(index >= 0 ? { position: { index: index + 1, of: queued.length } } : {}),
      progress: this.data.progress(job.id),
    });
    item.tooltip = `job ${job.id} · ${job.state}${job.error ? `\n${job.error}` : ''}${row ? `\n\n${modelTooltip(row)}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(job.state === 'running' ? 'sync~spin' : job.state === 'queued' ? 'clock' : 'circle-outline');
    item.contextValue = `job.${job.state}`;
    item.command = reveal(job.modelId);
    return item;
  }
}

// -- experiments ------------------------------------------------------------------------------

export class ExperimentsProvider extends Provider<ExperimentNode> {
  private roots: ExperimentModelNode[] = [];

  constructor(private readonly data: RemapData) {
    super();
  }

  override refresh(): void {
    this.roots = buildExperiments(this.data.models);
    super.refresh();
  }

  getChildren(element?: ExperimentNode): ExperimentNode[] {
    if (!element) return this.roots;
    return element.type === 'model' ? element.groups : element.children;
  }

  getTreeItem(node: ExperimentNode): vscode.TreeItem {
    if (node.type === 'group') return this.groupItem(node);
    const hasChildren = node.groups.length > 0;
    const item = new vscode.TreeItem(
      modelLabel(node.row),
      hasChildren
        ? node.parent ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `exp:${node.row.id}`;
    item.description = experimentDescription(node);
    item.tooltip = modelTooltip(node.row, node.parent);
    item.iconPath = modelIcon(node.row);
    item.contextValue = `model.experiment.${node.row.state}`;
    item.command = reveal(node.row.id);
    return item;
  }

  private groupItem(g: ExperimentGroupNode): vscode.TreeItem {
    const item = new vscode.TreeItem(g.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `exp:${g.parentId}:${g.kind}`;
    item.iconPath = new vscode.ThemeIcon(g.kind === 'ablation' ? 'remove' : g.kind === 'variation' ? 'git-compare' : 'edit');
    item.contextValue = `group.${g.kind}`;
    return item;
  }
}

/** Create the three views and keep them in step with the data and the drawer. */
export function createTrees(
  data: RemapData,
  drawer: Drawer,
  server: RemapServer,
): { drawer: DrawerProvider; queue: QueueProvider; experiments: ExperimentsProvider; models: ModelsProvider; describe: () => void; disposable: vscode.Disposable } {
  const drawerProvider = new DrawerProvider(drawer, data);
  const modelsProvider = new ModelsProvider(data);
  const modelsView = vscode.window.createTreeView(VIEW_IDS.models, { treeDataProvider: modelsProvider, canSelectMany: true });
  const queueProvider = new QueueProvider(data);
  const experimentsProvider = new ExperimentsProvider(data);
  const drawerView = vscode.window.createTreeView(VIEW_IDS.drawer, { treeDataProvider: drawerProvider, canSelectMany: true });
  const queueView = vscode.window.createTreeView(VIEW_IDS.queue, { treeDataProvider: queueProvider });
  const experimentsView = vscode.window.createTreeView(VIEW_IDS.experiments, {
    treeDataProvider: experimentsProvider,
    showCollapseAll: true,
  });
  const describe = () => {
    const n = drawer.ids.length;
    drawerView.description = n ? `${n} saved` : undefined;
    const s = data.queue?.summary;
    queueView.description = s ? `${s.running} training · ${s.queued} queued${s.paused ? ' · paused' : ''}` : undefined;
    void vscode.commands.executeCommand('setContext', 'remap.queuePaused', Boolean(s?.paused));
    const message = server.state === 'failed' ? `The REMAP server is not running: ${server.lastError ?? 'see the logs'}` : undefined;
    queueView.message = message;
    experimentsView.message = message;
    modelsView.message = message;
    const count = data.models.length;
    modelsView.description = count ? `${count} · ${MODEL_SORT_LABELS[modelsProvider.sort]}` : undefined;
  };
  const dataSub = data.onDidChange((what) => {
    if (what === 'models') {
      drawerProvider.refresh();
      experimentsProvider.refresh();
      modelsProvider.refresh();
    }
    queueProvider.refresh();
    describe();
  });
  const drawerSub = drawer.onDidChange(() => {
    drawerProvider.refresh();
    describe();
  });
  const stateSub = server.onDidChangeState(() => describe());
  describe();
  return {
    drawer: drawerProvider,
    queue: queueProvider,
    experiments: experimentsProvider,
    models: modelsProvider,
    describe,
    disposable: vscode.Disposable.from(
      modelsView,
      modelsProvider,
      drawerView,
      queueView,
      experimentsView,
      drawerProvider,
      queueProvider,
      experimentsProvider,
      stateSub,
      { dispose: () => dataSub.dispose() },
      { dispose: () => drawerSub.dispose() },
    ),
  };
}
