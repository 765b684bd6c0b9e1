"""`promptlint server`: the pygls language server, speaking LSP over stdio.

Owns the LSP wiring only: open/change/save/close (diagnostics from the unsaved buffer, debounced on
change, computed on one worker thread so the event loop keeps serving), code actions, hover, and
config-file watching. Linting lives in `documents`, conversions in `actions`. All state is on the
server instance made by `create_server()`.
"""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from promptlint import __version__
from promptlint.lsp.actions import CODE_ACTION_KINDS, code_actions, hover, to_lsp
from promptlint.lsp.documents import CONFIG_FILES, DocumentLinter, LintOutcome, is_config_file

DEBOUNCE_SECONDS = 0.3


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """The latest lint of one open document, for the version it was computed on."""

    version: int | None
    outcome: LintOutcome


PARSE_ERROR = -32700  # JSON-RPC 2.0: the body is not JSON
INVALID_REQUEST = -32600  # JSON, but not a JSON-RPC 2.0 message


class AnsweringProtocol(LanguageServerProtocol):
    """pygls' protocol, but every malformed message gets a JSON-RPC error response.

    A request whose params do not deserialize gets Invalid Params for its id (pygls 2.1 only logs
    it, so the client would wait forever); JSON that is not a JSON-RPC message gets Invalid Request
    (pygls would fail on it and pop an error dialog in the editor); a body that is not JSON gets
    Parse Error (see `PromptlintServer.report_server_error`).
    """

    def handle_message(self, message: Any) -> None:
        if not hasattr(message, "jsonrpc"):
            msg_id = message.get("id") if isinstance(message, dict) else None
            self.send_error(msg_id, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")
            return
        super().handle_message(message)

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        """An error response (`id` null when the message had none we could read), and a log line."""
        if not isinstance(msg_id, int | str):
            msg_id = None
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})
        self.notify(
            types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=types.MessageType.Error, message=message)
        )

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            raise


class PromptlintServer(LanguageServer):
    """A pygls server holding the per-session linter, results and pending debounced lints."""

    def __init__(self, debounce: float = DEBOUNCE_SECONDS) -> None:
        super().__init__(
            "promptlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=AnsweringProtocol,
        )
        self.debounce = debounce
        self.linter = DocumentLinter()
        self.results: dict[str, DocumentResult] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.shown_errors: set[str] = set()
        self.lint_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promptlint-lint")

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside any request go to the log, never to a dialog: a malformed message is the
        client's problem, and the editor should not interrupt its user for it."""
        if isinstance(error, ValueError) and isinstance(self.protocol, AnsweringProtocol):
            if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
                self.protocol.send_error(None, PARSE_ERROR, f"Parse error: {error}")
                return
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=f"promptlint server: {error}")
        )

    # -- linting ---------------------------------------------------------------------------------
    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    async def lint_document(self, uri: str) -> DocumentResult | None:
        """Lint the current buffer of `uri` off the event loop and publish its diagnostics."""
        doc = self.workspace.get_text_document(uri)
        version, text, language = doc.version, doc.source, doc.language_id
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            self.lint_executor, self.linter.lint, self.path_of(uri), text, language
        )
        if (
            uri not in self.workspace.text_documents
            or self.workspace.get_text_document(uri).version != version
        ):
            return None  # closed or edited meanwhile: a newer lint is on its way
        result = DocumentResult(version, outcome)
        self.results[uri] = result
        self.report_errors(outcome.errors)
        diagnostics = []
        if outcome.source is not None:
            diagnostics = [to_lsp(d, outcome.source, uri) for d in outcome.diagnostics]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
        return result

    def schedule(self, uri: str, delay: float) -> None:
        """(Re)start the lint of `uri` after `delay` seconds, cancelling a pending one."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def run() -> None:
            if delay:
                await asyncio.sleep(delay)
            await self.lint_document(uri)

        task = asyncio.ensure_future(run())
        self.pending[uri] = task
        task.add_done_callback(lambda t: self.pending.pop(uri, None) if self.pending.get(uri) is t else None)

    async def current(self, uri: str) -> DocumentResult | None:
        """Results for the document's current version, linting now if they are stale."""
        if uri not in self.workspace.text_documents:
            return None
        version = self.workspace.get_text_document(uri).version
        result = self.results.get(uri)
        if result is None or result.version != version:
            result = await self.lint_document(uri)
        return result

    def report_errors(self, errors: tuple[str, ...]) -> None:
        for error in errors:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=error))
            if error not in self.shown_errors:
                self.shown_errors.add(error)
                self.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Error, message=f"promptlint: {error}")
                )

    def config_changed(self) -> None:
        self.lint_executor.submit(self.linter.reload_config)  # ordered before the re-lints below
        self.shown_errors.clear()
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, 0)


def _folders(params: types.InitializeParams) -> tuple[str, ...]:
    folders = [to_fs_path(f.uri) for f in params.workspace_folders or ()]
    if not folders and params.root_uri:
        folders.append(to_fs_path(params.root_uri))
    if not folders and params.root_path:
        folders.append(params.root_path)
    return tuple(f for f in folders if f)


def create_server(debounce: float = DEBOUNCE_SECONDS) -> PromptlintServer:
    server = PromptlintServer(debounce)

    @server.feature(types.INITIALIZE)
    def initialize(ls: PromptlintServer, params: types.InitializeParams) -> None:
        ls.linter = DocumentLinter(_folders(params))
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), int | float):
            ls.debounce = float(options["debounce"])

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PromptlintServer, params: types.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        registration = types.Registration(
            id="promptlint-config-watch",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except JsonRpcException as exc:  # the client refused: config changes then need a save or restart
            ls.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Warning, message=f"cannot watch config files: {exc}"
                )
            )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PromptlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PromptlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PromptlintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if is_config_file(path):
            ls.config_changed()
        else:
            ls.lint_executor.submit(ls.linter.file_saved, path)  # ordered before the re-lint below
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PromptlintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.results.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: PromptlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_config_file(ls.path_of(change.uri)) for change in params.changes):
            ls.config_changed()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=list(CODE_ACTION_KINDS), resolve_provider=False),
    )
    async def code_action(ls: PromptlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        result = await ls.current(uri)
        if result is None or result.outcome.source is None:
            return []
        return code_actions(
            uri, result.outcome.source, result.outcome.diagnostics, params.range, params.context.only
        )

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: PromptlintServer, params: types.HoverParams) -> types.Hover | None:
        result = await ls.current(params.text_document.uri)
        if result is None or result.outcome.source is None:
            return None
        registry = ls.linter.state.registry
        return hover(result.outcome.source, result.outcome.diagnostics, params.position, registry)

    return server


def run() -> None:
    """Serve LSP over stdin/stdout until the client says exit."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    create_server().start_io()
