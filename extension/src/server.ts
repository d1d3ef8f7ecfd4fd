/**
 * The language-server lifecycle: one vscode-languageclient `LanguageClient` running
 * `<python> -m remap serve` over stdio (cwd = the workspace folder, REMAP_LOG_DIR = the
 * extension's log folder). Start, stop and restart all go through one SerialTask, so two never
 * run at once; a crash restarts the server a few times (CrashPolicy) and then stops with an
 * error that offers Restart / Show logs — never silently. Custom notifications and the results
 * of server commands are re-emitted as events for the rest of the extension.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { CrashPolicy } from './crashPolicy';
import { type Interpreter, SELECT_INTERPRETER, ensureInterpreter } from './interpreter';
import { serverArgs } from './interpreterCore';
import { errorText, log, showError } from './log';
import { Notifications, type NotificationMethod, type RequestMap, type RequestMethod } from '../../protocol/remap';
import { SerialTask } from './serialTask';
import { ServerLogReader } from './serverLog';
import { SECTION, serverSettings } from './settings';

export type ServerState = 'stopped' | 'starting' | 'running' | 'failed';

export interface ServerNotification {
  method: NotificationMethod;
  params: unknown;
}

export interface CommandResult {
  command: string;
  args: unknown[];
  result: unknown;
}

const READY_TIMEOUT_MS = 120_000;
/**
 * How long a stop (restart, setting change, deactivation) waits for the server's shutdown
 * answer before the client kills it. The server stops its training workers first (each gives
 * its job back to the queue; bounded at 20 s on the server side), which on a busy machine takes
 * well over the client's usual 5 s — killing it then logged errors and could orphan a job.
 */
const STOP_TIMEOUT_MS = 30_000;

export class RemapServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private wanted = false;
  private interactive = false;
  private stopping = false;
  /** Clients we asked to stop (their process ending afterwards is expected, not a crash). */
  private readonly stopAsked = new WeakSet<LanguageClient>();
  private stateValue: ServerState = 'stopped';
  private readonly lifecycle = new SerialTask(() => this.reconcile());
  private readonly crashes = new CrashPolicy();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly notificationEmitter = new vscode.EventEmitter<ServerNotification>();
  private readonly commandEmitter = new vscode.EventEmitter<CommandResult>();
  /** Why the server is not running (shown in errors and the status bar tooltip). */
  lastError: string | undefined;
  /** The last start failed quietly for want of an interpreter (no prompt was allowed). */
  needsSetup = false;
  interpreter: Interpreter | undefined;

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onNotification = this.notificationEmitter.event;
  readonly onCommandResult = this.commandEmitter.event;

  constructor(private readonly context: vscode.ExtensionContext) {}

  get state(): ServerState {
    return this.stateValue;
  }

  /**
   * Start the server unless it runs or is starting (then wait for that start).
   * `interactive`: prompts may be shown (install, select interpreter).
   */
  async start(interactive: boolean): Promise<void> {
    this.interactive ||= interactive;
    if (this.wanted && (this.stateValue === 'running' || this.stateValue === 'starting' || this.lifecycle.busy)) {
      await this.lifecycle.settled();
      return;
    }
    this.wanted = true;
    await this.lifecycle.run();
  }

  /** Stop, then start again; a restart requested during a restart is folded into one more. */
  async restart(): Promise<void> {
    this.crashes.reset();
    this.wanted = true;
    this.interactive = true;
    log().info('restart requested');
    await this.lifecycle.run();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    await this.lifecycle.run();
  }

  /**
   * The running client: starts a server that was never started, waits for one that is
   * starting; rejects at once (with the reason) when the server failed — "Restart Server"
   * retries, so a burst of webview requests does not re-probe the interpreter each time.
   */
  async ready(timeoutMs = READY_TIMEOUT_MS): Promise<LanguageClient> {
    if (this.stateValue === 'stopped' && !this.lifecycle.busy) void this.start(true).catch(() => undefined);
    if (this.lifecycle.busy || this.stateValue === 'starting') await this.settle(timeoutMs);
    if (this.stateValue !== 'running' || !this.client) {
      throw new Error(`the REMAP server is not running${this.lastError ? `: ${this.lastError}` : ''}`);
    }
    return this.client;
  }

  /** Wait until no start is in progress (lifecycle idle and not 'starting'), or the timeout. */
  private settle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        sub.dispose();
        clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (!this.lifecycle.busy && this.stateValue !== 'starting') done();
      };
      const sub = this.onDidChangeState(check);
      const timer = setTimeout(done, timeoutMs);
      void this.lifecycle.settled().then(check);
      check();
    });
  }

  /** A typed custom request (docs/protocol.md). */
  async request<M extends RequestMethod>(
    method: M,
    params: RequestMap[M]['params'] | Record<string, unknown>,
    token?: vscode.CancellationToken,
  ): Promise<RequestMap[M]['result']> {
    const client = await this.ready();
    // Never pass an undefined token: the JSON-RPC layer would send the params as a list.
    return token
      ? client.sendRequest<RequestMap[M]['result']>(method, params, token)
      : client.sendRequest<RequestMap[M]['result']>(method, params);
  }

  /** Tell the server about changed `remap.*` settings. */
  async sendSettings(): Promise<void> {
    if (this.stateValue !== 'running' || !this.client) return;
    const settings = serverSettings(vscode.workspace.getConfiguration(SECTION, this.folder()?.uri));
    log().info(`settings → server: ${JSON.stringify(settings)}`);
    await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { remap: settings } });
  }

  dispose(): void {
    this.wanted = false;
    void this.lifecycle.run();
    this.stateEmitter.dispose();
    this.notificationEmitter.dispose();
    this.commandEmitter.dispose();
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  private setState(state: ServerState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    log().info(`server state: ${state}`);
    this.stateEmitter.fire(state);
  }

  /** The one lifecycle step (never runs twice at once): stop what runs, start if wanted. */
  private async reconcile(): Promise<void> {
    if (this.client) {
      const old = this.client;
      this.client = undefined;
      this.stopping = true;
      this.stopAsked.add(old);
      try {
        if (old.state !== State.Stopped) await old.stop(STOP_TIMEOUT_MS);
      } catch (err) {
        log().warn(`stopping the server: ${errorText(err)}`);
      } finally {
        this.stopping = false;
      }
      await old.dispose().catch(() => undefined);
    }
    if (!this.wanted) {
      this.setState('stopped');
      return;
    }
    this.setState('starting');
    const folder = this.folder();
    if (!folder) {
      this.fail('REMAP needs an open folder (its models live in the folder\u2019s .remap store).', false);
      return;
    }
    const interactive = this.interactive;
    const ensured = await ensureInterpreter(folder, this.context.asAbsolutePath('python_server'), interactive, () => {
      void this.restart();
    });
    if (!('interpreter' in ensured)) {
      this.needsSetup = !interactive;
      this.fail(`${ensured.problem} (run "REMAP: Restart Server" after setting one up)`, false);
      return;
    }
    const { interpreter } = ensured;
    this.interpreter = interpreter;
    const client = this.createClient(folder, interpreter);
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await client.dispose().catch(() => undefined);
      this.fail(`the language server did not start: ${errorText(err)}`, true);
      return;
    }
    this.lastError = undefined;
    this.needsSetup = false;
    this.setState('running');
    log().info('language client running');
  }

  private fail(reason: string, notify: boolean): void {
    this.lastError = reason;
    this.setState('failed');
    if (notify) {
      void showError(`REMAP: ${reason}`, 'Restart', SELECT_INTERPRETER).then((picked) => {
        if (picked === 'Restart') void this.restart();
        if (picked === SELECT_INTERPRETER) void vscode.commands.executeCommand('remap.selectInterpreter');
      });
    } else {
      log().warn(reason);
    }
  }

  private createClient(folder: vscode.WorkspaceFolder, interpreter: Interpreter): LanguageClient {
    const logDir = this.context.logUri.fsPath;
    fs.mkdirSync(logDir, { recursive: true });
    const serverOptions: ServerOptions = {
      command: interpreter.command,
      args: serverArgs(),
      transport: TransportKind.stdio,
      options: {
        cwd: folder.uri.fsPath,
        env: { ...process.env, REMAP_LOG_DIR: logDir, PYTHONUNBUFFERED: '1' },
      },
    };
    log().info(`starting: ${interpreter.command} ${serverArgs().join(' ')} (cwd ${folder.uri.fsPath}, logs ${logDir})`);
    const made: { client?: LanguageClient } = {};
    const channel = clientChannel(log(), () => made.client !== undefined && this.stopAsked.has(made.client));
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'python' }],
      outputChannel: channel,
      traceOutputChannel: channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // the server logs to stderr at its own levels; keep them (the default tags it all [error])
      stdioOptions: {
        stdout: (input, out) => lines(input, (line) => out.info(line)),
        stderr: (input, out) => {
          const reader = new ServerLogReader();
          lines(input, (line) => {
            const { level, text } = reader.read(line);
            out[level](text);
          });
        },
      },
      workspaceFolder: folder,
      initializationOptions: () => ({
        settings: serverSettings(vscode.workspace.getConfiguration(SECTION, folder.uri)),
      }),
      initializationFailedHandler: (err) => {
        log().error(`initialize failed: ${errorText(err)}`);
        return false;
      },
      errorHandler: {
        error: (err, _message, count) => {
          log().error(`connection error (${count ?? 1}): ${errorText(err)}`);
          return { action: (count ?? 1) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
        },
        closed: () => this.onClosed(),
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          const result: unknown = await next(command, args);
          this.commandEmitter.fire({ command, args, result });
          return result;
        },
      },
    };
    const client = new LanguageClient(SECTION, 'REMAP Language Server', serverOptions, clientOptions);
    made.client = client;
    for (const method of Object.values(Notifications)) {
      client.onNotification(method, (params: unknown) => this.notificationEmitter.fire({ method, params }));
    }
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Running) this.setState('running');
      else if (e.newState === State.Starting && this.stateValue === 'running') this.setState('starting');
    });
    return client;
  }

  /** The server process ended: restart a few times, then stop and say so. */
  private onClosed(): { action: CloseAction; handled: boolean } {
    if (this.stopping || !this.wanted) return { action: CloseAction.DoNotRestart, handled: true };
    const decision = this.crashes.onCrash();
    if (decision.action === 'restart') {
      log().warn(`the language server exited unexpectedly; restarting it (${decision.attempt} of 3)`);
      this.setState('starting');
      return { action: CloseAction.Restart, handled: true };
    }
    const message = this.crashes.giveUpMessage(decision.crashes);
    this.lastError = message;
    this.setState('failed');
    void showError(message, 'Restart').then((picked) => {
      if (picked === 'Restart') void this.restart();
    });
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}

function lines(input: Readable, onLine: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', onLine);
}

/**
 * The channel the language client writes to: ours, except that the process-exit report of a
 * server we asked to stop is a warning, not an error. After the shutdown handshake (the server
 * has stopped its workers and answered) the client ends a process that is still tearing down
 * 2 s later with SIGKILL, which a busy machine makes routine; a crash stays an error.
 */
function clientChannel(channel: vscode.LogOutputChannel, stopAsked: () => boolean): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop) {
      if (prop === 'error') {
        return (message: string | Error, ...args: unknown[]) => {
          if (stopAsked() && typeof message === 'string' && /^Server process exited with (signal|code)/.test(message)) {
            target.warn(`${message} (a stop REMAP asked for; the shutdown handshake had finished)`, ...args);
          } else {
            target.error(message, ...args);
          }
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
