/**
 * The command-palette experiments: sample a model space, ablate, vary, train, export as
 * PyTorch, import from a file, select the data set. Each asks with quick picks that default
 * sensibly (the inspected or best model, all layers, 5 variations of up to 3 changes), sends
 * one request with a cancellable progress notification, and follows the training it queued
 * (jobProgress.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { trackJobs } from './jobProgress';
import { errorText, log } from './log';
import type { Panels } from './panels';
import { askInt, pickLayers, pickModel } from './picks';
import { modelLabel } from '../../protocol/models';
import type { GenerateParams, GenerateResult, RequestMap, RequestMethod } from '../../protocol/remap';
import type { RemapServer } from './server';
import { SECTION } from './settings';
import type { RemapData } from './state';

export interface Deps {
  server: RemapServer;
  data: RemapData;
  panels: Panels;
}

/** Send one request under a cancellable progress notification (cancel → $/cancelRequest). */
export async function withRequest<M extends RequestMethod>(
  deps: Deps,
  title: string,
  method: M,
  params: RequestMap[M]['params'],
): Promise<RequestMap[M]['result'] | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => deps.server.request(method, params, token),
    );
  } catch (err) {
    if (err instanceof vscode.CancellationError || /cancel/i.test(errorText(err))) {
      log().info(`${title}: cancelled`);
      return undefined;
    }
    log().error(`${title}: ${errorText(err)}`);
    void vscode.window.showErrorMessage(`${title}: ${errorText(err)}`, 'Show logs').then((p) => {
      if (p === 'Show logs') void vscode.commands.executeCommand('remap.showLogs');
    });
    return undefined;
  }
}

/** Report a generate result and follow its training in the background. */
export function afterGenerate(deps: Deps, what: string, result: GenerateResult): void {
  const made = result.created.length;
  const parts = [`${made} new model${made === 1 ? '' : 's'}`];
  if (result.existing.length) parts.push(`${result.existing.length} already known`);
  if (result.skipped.length) parts.push(`${result.skipped.length} skipped`);
  log().info(`${what}: ${parts.join(', ')}; jobs ${result.jobs.join(', ') || 'none'}`);
  for (const s of result.skipped) log().info(`  skipped: ${s}`);
  void deps.data.refreshModels();
  if (result.jobs.length > 0) {
    void trackJobs(deps.server, deps.data, `REMAP: ${what}`, result.jobs);
  } else {
    void vscode.window.showInformationMessage(`REMAP: ${what}: ${parts.join(', ')}.`, 'Open Map').then((p) => {
      if (p) deps.panels.open('map');
    });
  }
}

async function generate(deps: Deps, what: string, params: GenerateParams): Promise<void> {
  const result = await withRequest(deps, `REMAP: ${what}`, 'remap/generate', params);
  if (result) afterGenerate(deps, what, result);
}

export async function sampleModels(deps: Deps): Promise<void> {
  const count = await askInt('REMAP: Sample a Model Space', 'How many architectures to sample (each is trained when REMAP auto-trains)', 10, 1, 500);
  if (count === undefined) return;
  await generate(deps, `sampling ${count} models`, { kind: 'sample', count });
}

export async function ablateModel(deps: Deps, modelId?: number): Promise<void> {
  const id = modelId ?? (await pickModel(deps.server, deps.data, { title: 'REMAP: Ablate Model', preferred: deps.panels.focusedModel }));
  if (id === undefined) return;
  const label = deps.data.label(id);
  const details = await withRequest(deps, `REMAP: reading model ${label}`, 'remap/getModel', { modelId: id });
  if (!details) return;
  const layers = await pickLayers(details, `REMAP: Ablate model ${label}`);
  if (layers === undefined) return;
  const params: GenerateParams = layers.length ? { kind: 'ablate', modelId: id, layers } : { kind: 'ablate', modelId: id };
  await generate(deps, `ablating model ${label}`, params);
}

export async function varyModel(deps: Deps, modelId?: number): Promise<void> {
  const id = modelId ?? (await pickModel(deps.server, deps.data, { title: 'REMAP: Generate Variations', preferred: deps.panels.focusedModel }));
  if (id === undefined) return;
  const label = deps.data.label(id);
  const count = await askInt(`REMAP: variations of model ${label}`, 'How many children (1–20)', 5, 1, 20);
  if (count === undefined) return;
  const maxChanges = await askInt(`REMAP: variations of model ${label}`, 'Up to how many changes per child (1–5)', 3, 1, 5);
  if (maxChanges === undefined) return;
  await generate(deps, `${count} variations of model ${label}`, { kind: 'vary', modelId: id, count, maxChanges });
}

export async function trainModels(deps: Deps, modelIds?: number[]): Promise<void> {
  let ids = modelIds;
  if (!ids || ids.length === 0) {
    await deps.server.ready();
    await deps.data.refreshModels();
    const candidates = deps.data.models.filter((r) => r.state !== 'queued' && r.state !== 'training');
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('REMAP: every model is trained, queued or training.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((r) => ({
        label: modelLabel(r),
        description: `${r.state} · ${r.origin}`,
        detail: r.layers,
        picked: r.state === 'untrained' || r.state === 'failed' || r.state === 'cancelled',
        id: r.id,
      })),
      { title: 'REMAP: Train Models', canPickMany: true, ignoreFocusOut: true, placeHolder: 'Models to (re)train on the workspace data set' },
    );
    if (!picked || picked.length === 0) return;
    ids = picked.map((p) => p.id);
  }
  const result = await withRequest(deps, `REMAP: queueing ${ids.length} model(s)`, 'remap/train', { modelIds: ids });
  if (result) void trackJobs(deps.server, deps.data, `REMAP: training ${ids.length} model(s)`, result.jobs);
}

/** Open a file the server wrote (its `uri`, or else its `path`). */
export async function openExported(result: { path?: unknown; uri?: unknown }): Promise<void> {
  const uri = typeof result.uri === 'string' ? vscode.Uri.parse(result.uri) : typeof result.path === 'string' ? vscode.Uri.file(result.path) : undefined;
  if (uri) await vscode.window.showTextDocument(uri, { preview: false });
}

export async function exportModel(deps: Deps, modelId?: number): Promise<void> {
  const id = modelId ?? (await pickModel(deps.server, deps.data, { title: 'REMAP: Export Model as PyTorch', preferred: deps.panels.focusedModel }));
  if (id === undefined) return;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const where = await vscode.window.showQuickPick(
    [
      { label: '$(folder) remap_models/', description: 'in the workspace (default)', target: undefined as string | undefined },
      { label: '$(save-as) Choose a file…', description: 'a .py file inside the workspace', target: 'choose' },
    ],
    { title: `REMAP: export model ${deps.data.label(id)}`, placeHolder: 'Where to write the PyTorch file', ignoreFocusOut: true },
  );
  if (!where) return;
  let target: string | undefined;
  if (where.target === 'choose') {
    const uri = await vscode.window.showSaveDialog({
      title: `Export model ${deps.data.label(id)} as PyTorch`,
      defaultUri: folder ? vscode.Uri.joinPath(folder.uri, 'remap_models', `model_${id}.py`) : undefined,
      filters: { Python: ['py'] },
    });
    if (!uri) return;
    target = uri.fsPath;
  }
  const params = { modelId: id, ...(target ? { path: target } : {}) };
  let result: { path: string; uri: string } | undefined;
  try {
    result = await deps.server.request('remap/export', params);
  } catch (err) {
    const message = errorText(err);
    if (!/exist/i.test(message)) {
      void vscode.window.showErrorMessage(`REMAP: export failed: ${message}`);
      return;
    }
    const OVERWRITE = 'Overwrite';
    const picked = await vscode.window.showWarningMessage(`REMAP: ${message}`, OVERWRITE);
    if (picked !== OVERWRITE) return;
    result = await withRequest(deps, `REMAP: exporting model ${deps.data.label(id)}`, 'remap/export', { ...params, overwrite: true });
  }
  if (!result) return;
  log().info(`exported model ${deps.data.label(id)} to ${result.path}`);
  await openExported(result);
}

export async function importModel(deps: Deps, arg?: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  const active = vscode.window.activeTextEditor?.document;
  if (!uri && active && active.languageId === 'python' && active.uri.scheme === 'file') {
    const USE = `Import ${path.basename(active.uri.fsPath)}`;
    const picked = await vscode.window.showQuickPick([USE, 'Choose a file…'], { title: 'REMAP: Import Model from File', ignoreFocusOut: true });
    if (!picked) return;
    if (picked === USE) uri = active.uri;
  }
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      title: 'REMAP: Import models (PyTorch nn.Module classes or an original REMAP model set)',
      canSelectMany: false,
      filters: { 'PyTorch or REMAP model set': ['py', 'json'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    uri = picked?.[0];
  }
  if (!uri) return;
  const result = await withRequest(deps, `REMAP: importing ${path.basename(uri.fsPath)}`, 'remap/importFile', { uri: uri.toString() });
  if (!result) return;
  if (result.skipped.length) {
    void vscode.window.showWarningMessage(`REMAP: skipped ${result.skipped.length}: ${result.skipped.slice(0, 3).join('; ')}`);
  }
  afterGenerate(deps, `importing ${path.basename(uri.fsPath)}`, result);
  const first = result.created[0] ?? result.existing[0];
  if (first !== undefined) deps.panels.revealModel(first);
}

interface DatasetItem extends vscode.QuickPickItem {
  value?: string;
  action?: 'file' | 'folder';
}

export async function selectDataset(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const current = config.get<string>('dataset') ?? '';
  const items: DatasetItem[] = [
    { label: '$(package) Bundled digits', description: 'offline; 10 classes, 28×28 grey', value: 'digits' },
  ];
  const found = await vscode.workspace.findFiles('**/*.npz', '**/{node_modules,.venv,.git}/**', 20);
  for (const f of found) items.push({ label: `$(file) ${vscode.workspace.asRelativePath(f)}`, description: '.npz in the workspace', value: f.fsPath });
  items.push(
    { label: '$(file-add) Choose a file…', description: '.npz, CIFAR-10 batch, MNIST IDX', action: 'file' },
    { label: '$(folder-opened) Choose a folder…', description: 'Quick, Draw! .npy files or an image folder per class', action: 'folder' },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: 'REMAP: Select Data Set',
    ignoreFocusOut: true,
    placeHolder: current ? `current: ${current}` : 'current: the workspace setting (bundled digits unless changed)',
  });
  if (!pick) return;
  let value = pick.value;
  if (pick.action) {
    const uris = await vscode.window.showOpenDialog({
      canSelectFiles: pick.action === 'file',
      canSelectFolders: pick.action === 'folder',
      canSelectMany: false,
      defaultUri: folder?.uri,
      title: 'REMAP: data set',
    });
    value = uris?.[0]?.fsPath;
  }
  if (!value) return;
  await config.update('dataset', value, folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(`REMAP: data set set to ${value}; the server loads it now.`);
}
