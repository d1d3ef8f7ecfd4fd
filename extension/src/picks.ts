/**
 * Quick picks and input boxes the commands share: choose a model (the inspected or best model
 * first), choose layers of a model (all but the output layer, pre-selected), whole numbers
 * with a range and a default.
 *
 * Every quick input of a command sets `ignoreFocusOut`: after a palette pick VS Code gives the
 * focus back to where it was, and a webview panel takes it asynchronously — often after the
 * command's first quick pick opened, which focus loss would close before the user saw it (the
 * command then silently did nothing).
 */
import * as vscode from 'vscode';
import { modelDescription } from './format';
import { modelLabel } from '../../protocol/models';
import type { ModelDetails, ModelRow } from '../../protocol/remap';
import type { RemapServer } from './server';
import { type RemapData, pickOrder } from './state';

interface ModelItem extends vscode.QuickPickItem {
  id: number;
}

export interface PickModelOptions {
  title: string;
  preferred?: number | undefined;
  filter?: (row: ModelRow) => boolean;
  empty?: string;
}

export async function pickModel(server: RemapServer, data: RemapData, o: PickModelOptions): Promise<number | undefined> {
  await server.ready();
  if (data.models.length === 0) await data.refreshModels();
  const rows = pickOrder(data.models, o.preferred ?? data.best()?.id, o.filter);
  if (rows.length === 0) {
    const SAMPLE = 'Sample a Model Space';
    const picked = await vscode.window.showInformationMessage(o.empty ?? 'REMAP: there are no models to choose from yet.', SAMPLE);
    if (picked === SAMPLE) await vscode.commands.executeCommand('remap.sampleModels');
    return undefined;
  }
  const items: ModelItem[] = rows.map((r) => ({
    id: r.id,
    label: modelLabel(r),
    description: `${modelDescription(r)} · ${r.origin}`,
    detail: r.layers,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: o.title,
    placeHolder: 'Choose a model (type to filter by name, accuracy or layers)',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  return picked?.id;
}

interface LayerItem extends vscode.QuickPickItem {
  index: number;
}

/**
 * The layers to ablate: every layer but the output one, all pre-selected; undefined when the
 * user cancels, [] when they are all kept selected (the server then ablates every layer).
 */
export async function pickLayers(details: ModelDetails, title: string): Promise<number[] | undefined> {
  const layers = details.layers.slice(0, -1);
  if (layers.length === 0) {
    void vscode.window.showInformationMessage(`REMAP: model ${modelLabel(details.model)} has only its output layer; nothing to ablate.`);
    return undefined;
  }
  const items: LayerItem[] = layers.map((l) => ({
    index: l.index,
    label: `${l.index}: ${l.layer}`,
    description: `${l.output.join('×')} · ${l.params.toLocaleString('en-US')} params`,
    picked: true,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title,
    canPickMany: true,
    ignoreFocusOut: true,
    placeHolder: 'One child per selected layer, with that layer removed (the output layer is never removed)',
  });
  if (picked === undefined) return undefined;
  if (picked.length === 0 || picked.length === items.length) return [];
  return picked.map((p) => p.index).sort((a, b) => a - b);
}

/** A whole number between `min` and `max` (the default pre-filled). */
export async function askInt(title: string, prompt: string, value: number, min: number, max: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(value),
    ignoreFocusOut: true,
    validateInput: (v) => {
      const n = Number(v.trim());
      return Number.isInteger(n) && n >= min && n <= max ? undefined : `a whole number from ${min} to ${max}`;
    },
  });
  return text === undefined ? undefined : Number(text.trim());
}
