/**
 * The extension's one LogOutputChannel ("REMAP"). The language client writes into the same
 * channel (server stderr, window/logMessage, the LSP trace), so "Show logs" shows everything.
 */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function createLog(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('REMAP', { log: true });
  return channel;
}

/** The channel (created on first use). */
export function log(): vscode.LogOutputChannel {
  return createLog();
}

export function showLogs(): void {
  createLog().show(true);
}

/** A one-line message for anything thrown. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** Show an error with a "Show logs" action (plus any extra actions); resolves to the action picked. */
export async function showError(message: string, ...actions: string[]): Promise<string | undefined> {
  createLog().error(message);
  const picked = await vscode.window.showErrorMessage(message, ...actions, 'Show logs');
  if (picked === 'Show logs') showLogs();
  return picked;
}
