/**
 * The Suggestions view in the REMAP side bar: the next experiments the server suggests
 * (`remap/suggest`), each with its reason and cost; "Queue suggestion" (inline) runs one
 * (`remap/applySuggestion`), "Dismiss" hides it for good (`remap/dismissSuggestion`). The list
 * is fetched again whenever the models change (runs finish, children are added).
 */
import { idLabel } from '../../protocol/models';
import * as vscode from 'vscode';
import type { Suggestion } from '../../protocol/remap';
import { log } from './log';
import type { RemapServer } from './server';
import type { RemapData } from './state';

export const SUGGESTIONS_VIEW = 'remap.suggestions';
const COUNT = 8;

function secondsText(seconds: number | null): string {
  if (seconds === null) return '';
  return seconds < 90 ? ` · ≈${Math.round(seconds)} s` : ` · ≈${Math.round(seconds / 60)} min`;
}

export class SuggestionsProvider implements vscode.TreeDataProvider<Suggestion> {
  private readonly changed = new vscode.EventEmitter<Suggestion | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private items: Suggestion[] = [];
  private error: string | undefined;

  constructor(private readonly server: RemapServer) {}

  get message(): string | undefined {
    return this.error;
  }

  async refresh(): Promise<void> {
    try {
      this.items = (await this.server.request('remap/suggest', { n: COUNT })).suggestions;
      this.error = undefined;
      log().debug(`suggestions refreshed (${this.items.length}): ${this.items.map((s) => s.key).join(' ')}`);
    } catch (err: unknown) {
      this.items = [];
      this.error = `Suggestions unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.changed.fire(undefined);
  }

  getChildren(element?: Suggestion): Suggestion[] {
    return element ? [] : this.items;
  }

  getTreeItem(s: Suggestion): vscode.TreeItem {
    const target = s.parent === null ? 'a new model' : `model ${idLabel(s.parent)}`;
    const item = new vscode.TreeItem(`${s.kind} ${target}`, vscode.TreeItemCollapsibleState.None);
    item.id = `suggestion:${s.key}`;
    const size = s.cost.params === null ? '' : `${s.cost.params.toLocaleString()} params · `;
    item.description = `${size}${s.cost.epochs} epochs${secondsText(s.cost.seconds)}`;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(s.reason);
    if (s.preview.length) tooltip.appendMarkdown('\n\n' + s.preview.map((p) => `- ${p}`).join('\n'));
    item.tooltip = tooltip;
    item.iconPath = new vscode.ThemeIcon(
      s.kind === 'ablate' ? 'remove' : s.kind === 'vary' ? 'git-compare' : s.kind === 'craft' ? 'edit' : 'add',
    );
    item.contextValue = 'suggestion';
    // screen readers hear the reason, which says what the suggestion is about
    item.accessibilityInformation = { label: `${s.kind} · ${s.reason}` };
    return item;
  }
}

/** Create the view and its two commands; refresh on model changes and server restarts. */
export function registerSuggestions(server: RemapServer, data: RemapData): vscode.Disposable {
  const provider = new SuggestionsProvider(server);
  const view = vscode.window.createTreeView(SUGGESTIONS_VIEW, { treeDataProvider: provider });
  const refresh = async (): Promise<void> => {
    if (server.state !== 'running') return;
    await provider.refresh();
    view.message = provider.message;
  };
  const reg = (id: string, fn: (s?: Suggestion) => Promise<void>): vscode.Disposable =>
    vscode.commands.registerCommand(id, fn);
  const queue = reg('remap.queueSuggestion', async (s?: Suggestion) => {
    if (!s) return;
    const result = await server.request('remap/applySuggestion', { kind: s.kind, parent: s.parent, changes: s.changes });
    const made = result.created.length ? `queued ${result.created.length === 1 ? 'model' : 'models'} ${result.created.map(idLabel).join(', ')}` : 'nothing new to train';
    void vscode.window.showInformationMessage(`REMAP: ${made}${result.skipped.length ? ` (${result.skipped[0]})` : ''}`);
    await refresh();
  });
  const dismiss = reg('remap.dismissSuggestion', async (s?: Suggestion) => {
    if (!s) return;
    await server.request('remap/dismissSuggestion', { key: s.key });
    await refresh();
  });
  const models = data.onDidChange((what) => {
    if (what === 'models') void refresh();
  });
  const state = server.onDidChangeState(() => void refresh());
  void refresh();
  return vscode.Disposable.from(view, queue, dismiss, { dispose: () => models.dispose() }, state);
}
