/**
 * "REMAP: Explore…": asks for a strategy (quick pick) and a budget (validated input box), starts
 * the explore autopilot in the language server (`remap/explore`) and follows it with a
 * cancellable progress notification fed by `remap/exploreProgress`; cancelling asks the
 * server to stop (`remap/stopExplore`), and the spent budget stays stored so a later Explore
 * with the same strategy resumes. Every model it trains reaches the maps and views through the
 * usual `remap/modelsChanged`.
 */
import * as vscode from 'vscode';
import { type ExploreReport, Notifications } from '../../protocol/remap';
import { budgetProblem, endMessage, progressMessage, STRATEGIES } from './exploreText';
import { errorText, log, showError } from './log';
import type { RemapServer } from './server';

async function ask(): Promise<{ strategy: ExploreReport['strategy']; budget: number } | undefined> {
  const picked = await vscode.window.showQuickPick(
    STRATEGIES.map((s) => ({ label: s.strategy, detail: s.detail, strategy: s.strategy })),
    { title: 'REMAP: Explore — strategy', placeHolder: 'How to choose each next training', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  const text = await vscode.window.showInputBox({
    title: `REMAP: Explore (${picked.strategy}) — budget`,
    prompt: 'Trainings in all, failed ones included. A stopped explore with this strategy resumes: what it spent counts.',
    value: '20',
    validateInput: budgetProblem,
    ignoreFocusOut: true,
  });
  if (text === undefined || budgetProblem(text) !== undefined) return undefined;
  return { strategy: picked.strategy, budget: Number(text.trim()) };
}

/**
 * Follow a running explore until it ends; cancelling the notification stops it. `early` holds
 * the progress notes that came before `remap/explore`'s answer (an explore that fails or ends
 * at once can send its last note first): they are replayed, then `stopEarly` ends that buffering.
 */
function follow(server: RemapServer, start: ExploreReport, early: ExploreReport[], stopEarly: () => void): Thenable<ExploreReport> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `REMAP: explore (${start.strategy})`, cancellable: true },
    (progress, token) =>
      new Promise<ExploreReport>((resolve) => {
        let shown = start.spent;
        progress.report({ message: progressMessage(start), increment: (100 * start.spent) / start.budget });
        const subs: vscode.Disposable[] = [];
        const finish = (r: ExploreReport): void => {
          subs.forEach((d) => d.dispose());
          resolve(r);
        };
        let ended = false;
        const onReport = (r: ExploreReport): void => {
          if (ended || r.session !== start.session) return;
          log().info(`explore ${r.session}: ${r.spent}/${r.budget} trainings (${r.state}${r.paused ? ', queue paused' : ''})`);
          progress.report({ message: progressMessage(r), increment: (100 * (r.spent - shown)) / r.budget });
          shown = r.spent;
          if (r.state !== 'running') {
            ended = true;
            finish(r);
          }
        };
        subs.push(
          server.onNotification((n) => {
            if (n.method === Notifications.exploreProgress) onReport(n.params as ExploreReport);
          }),
          token.onCancellationRequested(() => {
            log().info(`explore ${start.session}: stop requested`);
            server.request('remap/stopExplore', {}).then(undefined, (err: unknown) => log().warn(`stopExplore: ${errorText(err)}`));
          }),
          server.onDidChangeState((state) => {
            if (state !== 'running') finish({ ...start, spent: shown, state: 'stopped' });
          }),
        );
        stopEarly(); // from here on the subscription above hears every note
        early.forEach(onReport);
      }),
  );
}

export async function runExplore(server: RemapServer): Promise<void> {
  const choice = await ask();
  if (!choice) return;
  const early: ExploreReport[] = [];
  const buffering = server.onNotification((n) => {
    if (n.method === Notifications.exploreProgress) early.push(n.params as ExploreReport);
  });
  let start: ExploreReport;
  try {
    start = await server.request('remap/explore', choice);
  } catch (err: unknown) {
    buffering.dispose();
    await showError(`REMAP: explore: ${errorText(err)}`);
    return;
  }
  log().info(`explore ${start.session}: started at ${start.spent}/${start.budget} trainings (${start.state})`);
  let end = start;
  if (start.state === 'running') end = await follow(server, start, early, () => buffering.dispose());
  buffering.dispose();
  const message = endMessage(end);
  if (message.error) await showError(message.text);
  else void vscode.window.showInformationMessage(message.text);
}

export function registerExplore(server: RemapServer): vscode.Disposable {
  const reg = (id: string, fn: () => Promise<void>): vscode.Disposable => vscode.commands.registerCommand(id, fn);
  return reg('remap.explore', () => runExplore(server));
}
