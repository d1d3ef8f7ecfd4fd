/**
 * Entry point of the static HTML report (dist/webview/report.js, inlined by `remap
 * report`): reads the embedded snapshot and mounts the map panel on a read-only ReportHost.
 */
import { mountApp, showFatal } from './app';
import { ReportHost, parseSnapshot } from './reportHost';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('REMAP report: the page has no <div id="app">');
  const data = document.getElementById('remap-data');
  if (!data?.textContent) {
    showFatal(root, 'REMAP report: the page has no embedded data (<script id="remap-data">).');
    return;
  }
  try {
    mountApp(new ReportHost(parseSnapshot(data.textContent), storage()), root);
  } catch (err) {
    showFatal(root, `REMAP report: ${err instanceof Error ? err.message : String(err)}`);
  }
}

start();
