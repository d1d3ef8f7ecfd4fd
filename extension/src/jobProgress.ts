/**
 * Progress for the training jobs a command started: a cancellable notification that counts
 * finished jobs as the queue changes; cancelling it cancels those jobs (queued ones are
 * dropped, running ones stop between batches). Ends with a summary and an "Open map" action.
 */
import * as vscode from 'vscode';
import { errorText, log } from './log';
import type { RemapServer } from './server';
import type { RemapData } from './state';
import { activeAmong } from './treeData';

const POLL_MS = 15_000;

export async function trackJobs(server: RemapServer, data: RemapData, title: string, jobs: readonly number[]): Promise<void> {
  if (jobs.length === 0) return;
  await data.refreshQueue();
  const total = jobs.length;
  let cancelled = false;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let reported = 0;
        const check = () => {
          const remaining = activeAmong(jobs, data.queue?.jobs);
          const done = total - remaining.length;
          if (done > reported) {
            progress.report({ increment: ((done - reported) / total) * 100, message: `${done} of ${total} trained` });
            reported = done;
          }
          if (remaining.length === 0) finish();
        };
        const sub = data.onDidChange((what) => what === 'queue' && check());
        const timer = setInterval(() => void data.refreshQueue(), POLL_MS);
        const stop = token.onCancellationRequested(async () => {
          cancelled = true;
          const remaining = activeAmong(jobs, data.queue?.jobs);
          log().info(`cancelling jobs ${remaining.join(', ')}`);
          for (const jobId of remaining) {
            try {
              await server.request('remap/queue', { action: 'cancel', jobId });
            } catch (err) {
              log().warn(`cancel job ${jobId}: ${errorText(err)}`);
            }
          }
          finish();
        });
        function finish() {
          sub.dispose();
          stop.dispose();
          clearInterval(timer);
          resolve();
        }
        progress.report({ message: `0 of ${total} trained` });
        check();
      }),
  );
  await data.refreshQueue();
  const states = new Map((data.queue?.jobs ?? []).map((j) => [j.id, j.state]));
  const failed = jobs.filter((id) => states.get(id) === 'failed').length;
  const stopped = jobs.filter((id) => states.get(id) === 'cancelled').length;
  const trained = total - failed - stopped;
  const parts = [`${trained} of ${total} trained`];
  if (failed) parts.push(`${failed} failed`);
  if (stopped || cancelled) parts.push(`${stopped} cancelled`);
  const OPEN = 'Open Map';
  const picked = await (failed
    ? vscode.window.showWarningMessage(`${title}: ${parts.join(', ')}.`, OPEN, 'Show logs')
    : vscode.window.showInformationMessage(`${title}: ${parts.join(', ')}.`, OPEN));
  if (picked === OPEN) await vscode.commands.executeCommand('remap.openMap');
  if (picked === 'Show logs') await vscode.commands.executeCommand('remap.showLogs');
}
