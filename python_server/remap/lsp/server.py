"""The REMAP language server (pygls): wiring only. Custom ``remap/*`` requests receive their
params as raw JSON (see :class:`RemapProtocol`) and are run by :mod:`remap.lsp.dispatch`;
editor features come from :mod:`remap.lsp.editor`; the store's change feed becomes
notifications and ``$/progress`` through :mod:`remap.lsp.watcher` and
:mod:`remap.lsp.progress`; the workspace, settings and workers live in
:mod:`remap.lsp.runtime`. Nothing is ever printed to stdout (the protocol channel)."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.uris import to_fs_path

from remap import __version__
from remap.lsp import protocol as P
from remap.lsp.progress import ProgressReporter
from remap.lsp.protocol import Wire, to_wire
from remap.lsp.rpc import StrictProtocol, serve_frames
from remap.lsp.runtime import Runtime
from remap.lsp.watcher import ProgressState, Watcher

if TYPE_CHECKING:
    from remap.lsp import editor

log = logging.getLogger("remap.lsp")
ACTION_KIND = "refactor.remap"
REPLACEMENT_TIMEOUT_S = 2.0
RECREATE_STORE = "Recreate store"  # the action offered when the store file is lost


class RemapProtocol(StrictProtocol):
    """Passes the params of ``remap/*`` messages through as plain JSON (pygls would turn
    them into namedtuples, mangling keys such as ``class``); they are validated by hand.
    Framing and JSON-RPC errors: :class:`~remap.lsp.rpc.StrictProtocol`."""

    custom_requests = frozenset(P.REQUESTS)

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method")
        if "jsonrpc" in data and isinstance(method, str) and method.startswith("remap/"):
            if "id" in data:
                return JsonRPCRequestMessage(
                    id=data["id"], method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
                )
            return JsonRPCNotification(
                method=method, jsonrpc=data["jsonrpc"], params=data.get("params")
            )
        return super().structure_message(data)

    def _serialize_message(self, data: Any) -> Any:
        """Answers and notifications already in wire form skip cattrs (which would walk
        every value of a 2,000-row answer); everything else is serialised as usual."""
        if isinstance(data, JsonRPCResponseMessage) and isinstance(data.result, Wire):
            return {"jsonrpc": data.jsonrpc, "id": data.id, "result": data.result}
        if isinstance(data, JsonRPCNotification) and isinstance(data.params, Wire):
            return {"jsonrpc": data.jsonrpc, "method": data.method, "params": data.params}
        return super()._serialize_message(data)


class RemapServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            P.SERVER_NAME,
            __version__,
            protocol_cls=RemapProtocol,
            text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
        )
        self.runtime = Runtime()
        self.reporter = ProgressReporter(self, self._pause_queue)
        self.watcher: Watcher | None = None
        self.initial_settings: dict[str, Any] = {}
        self.root = Path.cwd()
        self._analyses: dict[str, tuple[int | None, editor.Analysis]] = {}
        self._stopped = False
        self.lens_refresh = False  # the client supports workspace/codeLens/refresh

    # -- hand-over from other threads --------------------------------------------------------
    def _on_loop(self, fn: Any, *args: Any) -> None:
        loop = self.runtime.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def send_notification(self, method: str, params: dict[str, Any]) -> None:
        """Any thread: send a notification (camelCase params) from the event loop."""
        self._on_loop(self.protocol.notify, method, Wire(to_wire(params)))

    def show(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        """Any thread: ``window/showMessage``."""
        self._on_loop(self.window_show_message, t.ShowMessageParams(type=kind, message=message))

    def send_progress(self, state: ProgressState | None) -> None:
        self._on_loop(self.reporter.update, state)

    # -- start and stop ----------------------------------------------------------------------
    def start(self) -> None:
        """After ``initialized``: open the workspace, load the data set, start watching."""
        threading.Thread(target=_preload, name="remap-preload", daemon=True).start()
        rt = self.runtime
        rt.on_dataset = self._dataset_loaded
        rt.on_store_lost = lambda reason: self._on_loop(self._offer_recreate, reason)
        rt.on_executor_error = lambda text: self.show(text, t.MessageType.Error)
        rt.on_explore = lambda report: self.send_notification(P.EXPLORE_PROGRESS, report.to_dict())
        opened = rt.submit(rt.open, self.root, self.initial_settings)
        opened.add_done_callback(self._report_problems)
        self.watcher = Watcher(
            rt,
            self.send_notification,
            self.send_progress,
            warn=lambda text, error: self.show(
                text, t.MessageType.Error if error else t.MessageType.Info
            ),
        )
        self.watcher.start()

    def _report_problems(self, future: Any) -> None:
        try:
            problems = future.result()
        except Exception as exc:
            problems = [f"REMAP: {exc}"]
        for problem in problems:
            self.show(problem if problem.startswith("REMAP") else f"REMAP setting {problem}")

    def _offer_recreate(self, reason: str) -> None:
        """Event loop: tell the user the store is lost (``window/showMessageRequest``, which
        VS Code shows with a button) and recreate it when they ask."""
        params = t.ShowMessageRequestParams(
            type=t.MessageType.Error,
            message=f"REMAP: {reason}. Nothing more is saved to it; training stopped. "
            f"{RECREATE_STORE} opens the file now at that path (a new, empty store if it "
            "was deleted).",
            actions=[t.MessageActionItem(title=RECREATE_STORE)],
        )

        def answered(future: Any) -> None:
            try:
                choice = future.result()
            except Exception as exc:
                log.info("store-lost message: %s", exc)
                return
            if choice is not None and getattr(choice, "title", None) == RECREATE_STORE:
                self.runtime.submit(self.runtime.recreate_store).add_done_callback(recreated)

        def recreated(future: Any) -> None:
            try:
                path = future.result()
            except Exception as exc:
                self.show(f"REMAP: cannot recreate the store: {exc}", t.MessageType.Error)
                return
            self.show(f"REMAP: using the store {path}", t.MessageType.Info)

        self.protocol.send_request(t.WINDOW_SHOW_MESSAGE_REQUEST, params).add_done_callback(
            answered
        )

    def _dataset_loaded(self) -> None:
        if self.runtime.dataset_error:
            self.show(f"REMAP data set: {self.runtime.dataset_error}", t.MessageType.Error)
        self._on_loop(self.republish_all)

    def _pause_queue(self) -> None:
        rt = self.runtime

        def pause() -> None:
            rt.workspace().store.set_paused(True)

        rt.submit(pause)
        self.show(
            "REMAP: training paused — the running models finish; resume from the queue.",
            t.MessageType.Info,
        )

    def stop(self) -> None:
        """Stop watching, stop the workers (jobs go back to the queue), close the store."""
        if self._stopped:
            return
        self._stopped = True
        if self.watcher is not None:
            self.watcher.stop()
        self.runtime.close()

    def shutdown(self) -> None:  # end of the connection (pygls), also without a shutdown
        self.stop()
        super().shutdown()  # type: ignore[no-untyped-call]

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio with :func:`~remap.lsp.rpc.serve_frames` instead of pygls' read
        loop (which drops what it cannot parse without an answer)."""
        self._stop_event = threading.Event()
        reader = StdinAsyncReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        assert isinstance(self.protocol, StrictProtocol)
        try:
            asyncio.run(serve_frames(reader, self.protocol, self._stop_event))
        except BrokenPipeError:
            log.error("the connection to the client is lost: shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    # -- documents ------------------------------------------------------------------------------
    def text_of(self, uri: str) -> str | None:
        """Event loop: the text of an open document, or None."""
        document = self.workspace.text_documents.get(uri)
        return None if document is None else document.source

    def analysis(self, uri: str) -> editor.Analysis | None:
        from remap.lsp import editor

        document = self.workspace.text_documents.get(uri)
        if document is None or not editor.is_python(uri, document.language_id):
            return None
        cached = self._analyses.get(uri)
        if cached is not None and cached[0] == document.version and document.version is not None:
            return cached[1]
        rt = self.runtime
        result = editor.analyse_text(
            document.source, to_fs_path(uri) or uri, rt.input_shape, rt.num_classes
        )
        self._analyses[uri] = (document.version, result)
        return result

    def publish(self, uri: str) -> None:
        from remap.lsp import editor

        self._analyses.pop(uri, None)
        analysis = self.analysis(uri)
        if analysis is None:
            return
        text = self.text_of(uri) or ""
        self.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=editor.diagnostics(analysis, text))
        )

    def republish_all(self) -> None:
        self._analyses.clear()
        for uri in list(self.workspace.text_documents):
            self.publish(uri)
        if self.lens_refresh:
            self.workspace_code_lens_refresh(None)

    def forget(self, uri: str) -> None:
        from remap.lsp import editor

        if self._analyses.pop(uri, None) is not None or editor.is_python(uri):
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    async def code_actions(self, params: t.CodeActionParams) -> list[t.CodeAction]:
        from remap.lsp import editor

        uri = params.text_document.uri
        analysis = self.analysis(uri)
        text = self.text_of(uri)
        if analysis is None or text is None:
            return []
        actions: list[t.CodeAction] = editor.quick_fixes(uri, text, analysis, params.range)
        for model in editor.models_in_range(analysis, params.range):
            assert model.spec is not None
            offers: list[editor.Replacement] = []
            if self.runtime.is_open:
                from remap.lsp.handlers_commands import replacements

                try:
                    offers = await asyncio.wait_for(
                        self.runtime.call(
                            replacements,
                            self.runtime,
                            model.spec,
                            model.class_name,
                            editor.is_class(text, model),
                        ),
                        REPLACEMENT_TIMEOUT_S,
                    )
                except Exception as exc:  # busy or broken: offer the commands only
                    log.info("no replacements for %s: %s", model.class_name, exc)
            variant = offers[0].model_id if offers else None
            for action in editor.command_actions(uri, model, variant):
                action.kind = ACTION_KIND
                actions.append(action)
            actions += [editor.replace_action(uri, text, model, offer) for offer in offers]
        only = params.context.only
        if only:
            # Kinds are hierarchical ("refactor" covers "refactor.remap"); compare their
            # values: str() of an lsprotocol enum is "CodeActionKind.QuickFix", not "quickfix".
            wanted = [str(getattr(k, "value", k)) for k in only]
            actions = [
                a for a in actions
                if any(str(getattr(a.kind, "value", a.kind)).startswith(k) for k in wanted)
            ]  # fmt: skip
        return actions


def _root(params: t.InitializeParams) -> Path:
    for uri in [f.uri for f in params.workspace_folders or []] + [params.root_uri or ""]:
        if uri:
            path = to_fs_path(uri)
            if path:
                return Path(path)
    if params.root_path:
        return Path(params.root_path)
    return Path.cwd()


def _settings(value: Any) -> dict[str, Any]:
    """``{"remap": {...}}`` or the settings object itself; anything else is no settings."""
    if isinstance(value, dict) and isinstance(value.get("remap"), dict):
        return dict(value["remap"])
    return dict(value) if isinstance(value, dict) else {}


def create_server() -> RemapServer:
    server = RemapServer()

    @server.feature(t.INITIALIZE)
    def initialize(ls: RemapServer, params: t.InitializeParams) -> None:
        ls.runtime.loop = asyncio.get_running_loop()
        options = params.initialization_options
        ls.initial_settings = _settings(
            options.get("settings") if isinstance(options, dict) else None
        )
        ls.root = _root(params)
        window = params.capabilities.window
        ls.reporter.enabled = bool(window is not None and window.work_done_progress)
        lens = params.capabilities.workspace and params.capabilities.workspace.code_lens
        ls.lens_refresh = bool(lens and lens.refresh_support)

    @server.feature(t.INITIALIZED)
    def initialized(ls: RemapServer, params: t.InitializedParams) -> None:
        ls.start()

    @server.feature(t.SHUTDOWN)
    async def shutdown(ls: RemapServer, params: Any) -> None:
        await asyncio.to_thread(ls.stop)

    @server.feature(t.EXIT)
    def exit_(ls: RemapServer, params: Any) -> None:
        ls.stop()

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration(ls: RemapServer, params: t.DidChangeConfigurationParams) -> None:
        settings = _settings(params.settings)
        future = ls.runtime.submit(ls.runtime.apply_settings, settings)
        future.add_done_callback(ls._report_problems)

    @server.feature(t.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancel(ls: RemapServer, params: t.WorkDoneProgressCancelParams) -> None:
        ls.reporter.cancelled(params.token)

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RemapServer, params: t.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RemapServer, params: t.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RemapServer, params: t.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RemapServer, params: t.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_CODE_LENS, t.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: RemapServer, params: t.CodeLensParams) -> list[t.CodeLens]:
        from remap.lsp import editor

        analysis = ls.analysis(params.text_document.uri)
        return [] if analysis is None else editor.code_lenses(params.text_document.uri, analysis)

    @server.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(
            code_action_kinds=[
                t.CodeActionKind.QuickFix,
                ACTION_KIND,
                t.CodeActionKind.RefactorRewrite,
            ]
        ),
    )
    async def code_action(ls: RemapServer, params: t.CodeActionParams) -> list[t.CodeAction]:
        return await ls.code_actions(params)

    # The tables in remap.lsp.protocol, not remap.lsp.dispatch: the handlers (and what they
    # import) load after ``initialize`` has been answered (see ``_preload``).
    for method in P.REQUESTS:
        server.feature(method)(_request(method))
    for name in P.COMMANDS:
        server.command(name)(_command(name))
    return server


def _preload() -> None:
    """Import the request handlers and the editor features in the background, once the
    client has its ``initialize`` answer (they cost more than the rest of the start-up)."""
    try:
        import remap.lsp.dispatch
        import remap.lsp.editor  # noqa: F401
    except Exception as exc:  # a broken import shows up (with a traceback) on first use
        log.warning("preloading the request handlers failed: %s", exc)


def _request(method: str) -> Any:
    async def handler(ls: RemapServer, params: Any) -> Any:
        from remap.lsp import dispatch

        return await dispatch.run_request(ls.runtime, method, params, ls.text_of)

    handler.__name__ = f"request_{method.split('/')[-1]}"
    return handler


def _command(name: str) -> Any:
    async def handler(ls: RemapServer, *args: Any) -> Any:
        from remap.lsp import dispatch

        return await dispatch.run_command(ls.runtime, name, args, ls.text_of)

    handler.__name__ = f"command_{name.split('.')[-1]}"
    return handler


class _QuietExpected(logging.Filter):
    """pygls logs a traceback for every error answer. Bad params are expected, and internal
    errors were logged with their real traceback by the dispatcher: keep one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (JsonRpcInvalidParams, JsonRpcInternalError)):
            record.exc_info = None
            invalid = isinstance(exc, JsonRpcInvalidParams)
            record.msg = "invalid params: %s" if invalid else "answered with an error: %s"
            record.args = (exc.message,)
            record.levelno = logging.INFO if invalid else logging.WARNING
            record.levelname = logging.getLevelName(record.levelno)
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr (stdout is the protocol channel); pygls itself only from warnings on."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s remap-lsp %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("pygls", "pygls.protocol", "pygls.feature_manager", "pygls.server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_QuietExpected())


def serve(log_level: str = "INFO") -> int:
    """Run the server over stdio until the client disconnects."""
    configure_logging(log_level)
    server = create_server()
    log.info("REMAP language server %s starting (pid %d)", __version__, __import__("os").getpid())
    server.start_io()
    return 0
