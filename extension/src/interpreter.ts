/**
 * Which Python runs the REMAP server: the `remap.python` setting, then the Python extension's
 * active environment (ms-python.python's exported API, used defensively), then `python3`. Each
 * candidate is probed (`import remap, torch`, with a timeout); when the chosen one lacks the
 * packages the user is offered to install them into it (torch==2.13.0 first, then the
 * python_server folder the .vsix carries), with progress and cancel. When nothing works the
 * error carries a "Select interpreter" action. Pure parts live in interpreterCore.ts.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type Candidate,
  PROBE_SCRIPT,
  type ProbeResult,
  TORCH_SPEC,
  candidateOrder,
  describeMissing,
  expandPath,
  installSteps,
  isPathLike,
  isUsable,
  missingParts,
  parseProbe,
  settingPathProblem,
  settingRunProblem,
} from './interpreterCore';
import { errorText, log, showError, showLogs } from './log';
import { SECTION, pythonSetting } from './settings';

export const PROBE_TIMEOUT_MS = 90_000;
export const SELECT_INTERPRETER = 'Select interpreter';
export const OPEN_SETTINGS = 'Open settings';

export interface Interpreter {
  command: string;
  source: Candidate['source'];
  probe: ProbeResult;
}

// -- the Python extension (optional) ----------------------------------------------------------

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath?(resource?: vscode.Uri): { id?: string; path?: string } | undefined;
  resolveEnvironment?(env: unknown): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  known?: readonly { path?: string; executable?: { uri?: vscode.Uri } }[];
}

interface PythonApi {
  environments?: PythonEnvironmentsApi;
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined;
    onDidChangeExecutionDetails?: vscode.Event<unknown>;
  };
}

const PYTHON_EXTENSION = 'ms-python.python';

async function pythonApi(): Promise<PythonApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!ext) return undefined;
  try {
    const api = ext.isActive
      ? ext.exports
      : await Promise.race([
          ext.activate(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000)),
        ]);
    return api && typeof api === 'object' ? api : undefined;
  } catch (err) {
    log().warn(`the Python extension's API is not available: ${errorText(err)}`);
    return undefined;
  }
}

/** The interpreter the Python extension has selected for `resource`, if it says. */
export async function interpreterFromPythonExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const api = await pythonApi();
  if (!api) return undefined;
  try {
    const envs = api.environments;
    if (envs && typeof envs.getActiveEnvironmentPath === 'function') {
      const active = envs.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = typeof envs.resolveEnvironment === 'function' ? await envs.resolveEnvironment(active) : undefined;
        const exe = resolved?.executable?.uri?.fsPath ?? active.path;
        if (exe) return exe;
      }
    }
    const details = api.settings?.getExecutionDetails?.(resource);
    const cmd = details?.execCommand;
    if (Array.isArray(cmd) && cmd.length === 1 && typeof cmd[0] === 'string') return cmd[0];
  } catch (err) {
    log().warn(`could not read the Python extension's interpreter: ${errorText(err)}`);
  }
  return undefined;
}

/** Calls `listener` when the Python extension's selected interpreter changes. */
export async function onPythonInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi();
  const event = api?.environments?.onDidChangeActiveEnvironmentPath ?? api?.settings?.onDidChangeExecutionDetails;
  return typeof event === 'function' ? event(() => listener()) : undefined;
}

// -- probing ----------------------------------------------------------------------------------

/** A probe that could not run; `notFound` when there is no such file or command. */
export class ProbeError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** Run the probe script with `command`; rejects with a readable reason (a ProbeError). */
export function probe(command: string, cwd: string | undefined, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ['-c', PROBE_SCRIPT],
      { cwd, timeout: timeoutMs, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') reject(new ProbeError(`${command}: not found`, true));
          else if (e.killed) reject(new ProbeError(`${command}: no answer within ${Math.round(timeoutMs / 1000)} s`));
          else reject(new ProbeError(`${command}: ${String(stderr).trim().split('\n').pop() || e.message}`));
          return;
        }
        try {
          resolve(parseProbe(String(stdout)));
        } catch (parseErr) {
          reject(new ProbeError(`${command}: ${errorText(parseErr)}`));
        }
      },
    );
  });
}

export type Resolution =
  | { kind: 'ok'; interpreter: Interpreter }
  | { kind: 'incomplete'; interpreter: Interpreter; problem: string }
  | { kind: 'none'; tried: string[] }
  | { kind: 'badSetting'; problem: string };

/** The file-system facts about a path (undefined for a command name looked up on the PATH). */
function pathFacts(file: string): { exists: boolean; isDirectory: boolean; executable: boolean } | undefined {
  if (!isPathLike(file)) return undefined;
  try {
    const st = fs.statSync(file);
    let executable = true;
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      executable = false;
    }
    return { exists: true, isDirectory: st.isDirectory(), executable };
  } catch {
    return { exists: false, isDirectory: false, executable: false };
  }
}

/**
 * Try the candidates in order; the first usable one wins, else the first that runs at all.
 * A `remap.python` setting that names nothing runnable is reported as such (naming the setting
 * and its value) — never passed over for another interpreter the user did not choose.
 */
export async function resolveInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<Resolution> {
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const setting = pythonSetting(config);
  const expanded = setting ? expandPath(setting, folder?.uri.fsPath, os.homedir()) : undefined;
  if (setting && expanded) {
    const problem = settingPathProblem(setting, expanded, pathFacts(expanded));
    if (problem) return { kind: 'badSetting', problem };
  }
  const fromExtension = setting ? undefined : await interpreterFromPythonExtension(folder?.uri);
  const candidates = candidateOrder(expanded, fromExtension);
  const tried: string[] = [];
  let incomplete: { interpreter: Interpreter; problem: string } | undefined;
  for (const c of candidates) {
    try {
      const result = await probe(c.command, folder?.uri.fsPath);
      const interpreter = { command: c.command, source: c.source, probe: result };
      const problem = describeMissing(missingParts(result));
      log().info(
        `python candidate ${c.command} (${c.source}): Python ${result.version.join('.')}, ` +
          `remap ${result.remap ?? 'missing'}, torch ${result.torch ?? 'missing'}`,
      );
      if (isUsable(result)) return { kind: 'ok', interpreter };
      tried.push(`${c.command} (${c.source}) ${problem}`);
      incomplete ??= { interpreter, problem: problem ?? 'is not usable' };
    } catch (err) {
      log().warn(`python candidate ${c.command} (${c.source}) failed: ${errorText(err)}`);
      if (c.source === 'setting' && setting) {
        return { kind: 'badSetting', problem: settingRunProblem(setting, c.command, errorText(err), err instanceof ProbeError && err.notFound) };
      }
      tried.push(errorText(err));
    }
  }
  return incomplete ? { kind: 'incomplete', ...incomplete } : { kind: 'none', tried };
}

// -- installing -------------------------------------------------------------------------------

function run(command: string, args: string[], cwd: string | undefined, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve, reject) => {
    log().info(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { cwd, env: process.env });
    const tail: string[] = [];
    const onData = (data: Buffer) => {
      for (const line of data.toString().split(/\r?\n/)) {
        if (!line.trim()) continue;
        log().info(`  ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const sub = token.onCancellationRequested(() => child.kill());
    child.on('error', (err) => {
      sub.dispose();
      reject(err);
    });
    child.on('close', (code) => {
      sub.dispose();
      if (token.isCancellationRequested) reject(new vscode.CancellationError());
      else if (code === 0) resolve();
      else {
        const managed = tail.some((l) => l.includes('externally-managed-environment'));
        reject(new Error(managed ? 'this interpreter is managed by the system (PEP 668); use a virtual environment' : tail.slice(-3).join(' ') || `exit code ${code}`));
      }
    });
  });
}

/** Install what `interpreter` lacks, with a cancellable progress notification. */
async function install(interpreter: Interpreter, serverDir: string, cwd: string | undefined): Promise<boolean> {
  const steps = installSteps(missingParts(interpreter.probe), serverDir);
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'REMAP', cancellable: true },
      async (progress, token) => {
        for (const step of steps) {
          progress.report({ message: step.title });
          await run(interpreter.command, step.args, cwd, token);
        }
      },
    );
    return true;
  } catch (err) {
    if (err instanceof vscode.CancellationError) {
      void vscode.window.showWarningMessage('REMAP: installation cancelled.');
      return false;
    }
    await showError(`REMAP: installing into ${interpreter.command} failed: ${errorText(err)}`, SELECT_INTERPRETER).then(
      (picked) => picked === SELECT_INTERPRETER && vscode.commands.executeCommand('remap.selectInterpreter'),
    );
    return false;
  }
}

/** Create `<folder>/.venv` with `base` and point `remap.python` at it. */
async function createVenv(base: Interpreter, folder: vscode.WorkspaceFolder): Promise<Interpreter | undefined> {
  const venv = path.join(folder.uri.fsPath, '.venv');
  const python = path.join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  try {
    if (!fs.existsSync(python)) {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `REMAP: creating ${venv}`, cancellable: true },
        (_p, token) => run(base.command, ['-m', 'venv', venv], folder.uri.fsPath, token),
      );
    }
    await vscode.workspace.getConfiguration(SECTION, folder.uri).update('python', python, vscode.ConfigurationTarget.WorkspaceFolder);
    return { command: python, source: 'setting', probe: await probe(python, folder.uri.fsPath) };
  } catch (err) {
    await showError(`REMAP: could not create a virtual environment in ${venv}: ${errorText(err)}`);
    return undefined;
  }
}

let prompting = false;

/** Show an error with "Select interpreter" (and "Open settings") actions; not awaited by callers. */
function offerSelect(message: string, openSettings = false): void {
  const actions = openSettings ? [SELECT_INTERPRETER, OPEN_SETTINGS] : [SELECT_INTERPRETER];
  void showError(message, ...actions).then((picked) => {
    if (picked === SELECT_INTERPRETER) void vscode.commands.executeCommand('remap.selectInterpreter');
    if (picked === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.python`);
  });
}

/** An interpreter with remap and torch, or why there is none (for the status bar and logs). */
export type Ensured = { interpreter: Interpreter } | { problem: string };

/**
 * An interpreter that has remap and torch, or the problem at once. When `interactive`, the
 * reason is shown without blocking the caller (the server lifecycle must not wait on a
 * notification): an error with "Select interpreter" (and "Open settings" for a bad
 * `remap.python`), or the offer to install what is missing — after a successful install
 * `onInstalled` is called (the server restarts).
 */
export async function ensureInterpreter(
  folder: vscode.WorkspaceFolder | undefined,
  serverDir: string,
  interactive: boolean,
  onInstalled: () => void,
): Promise<Ensured> {
  const res = await resolveInterpreter(folder);
  if (res.kind === 'ok') return { interpreter: res.interpreter };
  if (res.kind === 'badSetting') {
    const message = `REMAP: ${res.problem}.`;
    if (interactive) offerSelect(message, true);
    else log().warn(message);
    return { problem: res.problem };
  }
  if (res.kind === 'none') {
    const message = `REMAP: no working Python interpreter (tried ${res.tried.join('; ')}). Set "remap.python" or select one.`;
    if (interactive) offerSelect(message);
    else log().warn(message);
    return { problem: 'no Python interpreter with the remap package and torch' };
  }
  const { interpreter, problem } = res;
  const missing = missingParts(interpreter.probe);
  const reason = `the Python interpreter ${interpreter.probe.executable} ${problem}`;
  if (!interactive || missing.tooOld) {
    const message = `REMAP: ${reason}.`;
    if (interactive) offerSelect(message);
    else log().warn(message);
    return { problem: reason };
  }
  if (!prompting) {
    prompting = true;
    void offerInstall(folder, serverDir, interpreter, problem)
      .then((ok) => ok && onInstalled())
      .finally(() => {
        prompting = false;
      });
  }
  return { problem: reason };
}

/** Ask to install what `interpreter` lacks (or to make a .venv first); true once it works. */
async function offerInstall(
  folder: vscode.WorkspaceFolder | undefined,
  serverDir: string,
  interpreter: Interpreter,
  problem: string,
): Promise<boolean> {
  const exe = interpreter.probe.executable;
  const missing = missingParts(interpreter.probe);
  const INSTALL = 'Install';
  const VENV = 'Create .venv and install';
  const managed = interpreter.probe.externallyManaged && folder !== undefined;
  const what = missing.torch
    ? `${TORCH_SPEC} first (pinned: a looser spec can pull a multi-GB CUDA build), then the REMAP server package this extension carries`
    : 'the REMAP server package this extension carries';
  const message = managed
    ? `REMAP: the Python interpreter ${exe} ${problem}, and it is managed by the system. Create a virtual environment in the workspace and install ${what} into it?`
    : `REMAP: the Python interpreter ${exe} ${problem}. Install ${what} into it?`;
  log().warn(message);
  const picked = await vscode.window.showWarningMessage(message, managed ? VENV : INSTALL, SELECT_INTERPRETER, 'Show logs');
  if (picked === 'Show logs') showLogs();
  if (picked === SELECT_INTERPRETER) await vscode.commands.executeCommand('remap.selectInterpreter');
  if (picked !== INSTALL && picked !== VENV) return false;
  let target: Interpreter | undefined = interpreter;
  if (picked === VENV && folder) target = await createVenv(interpreter, folder);
  if (!target || !(await install(target, serverDir, folder?.uri.fsPath))) return false;
  try {
    const after = await probe(target.command, folder?.uri.fsPath);
    if (isUsable(after)) {
      void vscode.window.showInformationMessage(`REMAP: installed into ${after.executable}; starting the server.`);
      return true;
    }
    await showError(`REMAP: after installing, ${after.executable} still ${describeMissing(missingParts(after)) ?? 'fails'}.`);
  } catch (err) {
    await showError(`REMAP: ${errorText(err)}`);
  }
  return false;
}

// -- the "Select interpreter" command ---------------------------------------------------------

interface InterpreterPick extends vscode.QuickPickItem {
  value?: string;
  action?: 'browse' | 'enter' | 'clear';
}

/** Quick pick: known environments, browse, type a path, or clear the setting. */
export async function selectInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const current = pythonSetting(config);
  const items: InterpreterPick[] = [];
  const api = await pythonApi();
  const seen = new Set<string>();
  const fromExt = await interpreterFromPythonExtension(folder?.uri);
  if (fromExt) {
    seen.add(fromExt);
    items.push({ label: '$(star) Python extension\u2019s interpreter', description: fromExt, value: fromExt });
  }
  for (const env of api?.environments?.known ?? []) {
    const exe = env.executable?.uri?.fsPath ?? env.path;
    if (exe && !seen.has(exe)) {
      seen.add(exe);
      items.push({ label: path.basename(path.dirname(path.dirname(exe))) || exe, description: exe, value: exe });
    }
  }
  const local = folder ? path.join(folder.uri.fsPath, '.venv', 'bin', 'python') : undefined;
  if (local && !seen.has(local) && fs.existsSync(local)) items.push({ label: '.venv (workspace)', description: local, value: local });
  items.push(
    { label: '$(folder-opened) Browse…', action: 'browse' },
    { label: '$(edit) Enter a path…', action: 'enter' },
  );
  if (current) items.push({ label: '$(clear-all) Clear the setting', description: 'use the Python extension, then python3', action: 'clear' });
  const pick = await vscode.window.showQuickPick(items, {
    title: 'REMAP: Python interpreter for the server',
    ignoreFocusOut: true,
    placeHolder: current ? `current: ${current}` : 'needs the remap package and torch (REMAP offers to install them)',
  });
  if (!pick) return false;
  let value: string | undefined = pick.value;
  if (pick.action === 'browse') {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Python interpreter', defaultUri: folder?.uri });
    value = uris?.[0]?.fsPath;
  } else if (pick.action === 'enter') {
    value = await vscode.window.showInputBox({ title: 'REMAP: Python interpreter', value: current, ignoreFocusOut: true, prompt: 'A path or a command on the PATH, e.g. /path/to/.venv/bin/python' });
  } else if (pick.action === 'clear') {
    value = '';
  }
  if (value === undefined) return false;
  const target = folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Global;
  await config.update('python', value || undefined, target);
  return true;
}
