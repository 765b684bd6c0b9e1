"""End-to-end tests of `promptlint server`: a real LSP client (pytest-lsp) over stdio."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from promptlint.diagnostics import Edit, Span
from promptlint.fixes import apply_edits
from promptlint.source import LineIndex
from tests.samples import EMOJI_APP

# One server for the module (startup is ~1 s); each test uses its own file names.
pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "promptlint.lsp"])
CLI_SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "promptlint", "server"])

# An emoji (two UTF-16 code units) before the clock slot: LSP columns must count UTF-16 units.
BAD = EMOJI_APP
CLOCK_LINE = 8
CLOCK_CHAR = len('    system = f"🎉 Time: {'.encode("utf-16-le")) // 2  # 25 (24 code points)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    (root / "promptlint.toml").write_text("preview = true\n", encoding="utf-8")  # the whole catalogue
    return root


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workspace: Path) -> Any:
    registrations: list[types.Registration] = []
    setattr(lsp_client, "registrations", registrations)  # noqa: B010 - for the config-watch test

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    capabilities = pytest_lsp.client_capabilities("visual-studio-code")
    params = types.InitializeParams(
        capabilities=capabilities,
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient, uri: str, version: int) -> list[types.Diagnostic]:
    """Wait until diagnostics for `uri` at `version` arrive."""

    async def wait() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)

    return await asyncio.wait_for(wait(), timeout=20)


async def _open(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    waiter = asyncio.ensure_future(_published(client, uri, 1))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
        )
    )
    await waiter
    return uri


async def _change(client: LanguageClient, uri: str, version: int, text: str) -> list[types.Diagnostic]:
    waiter = asyncio.ensure_future(_published(client, uri, version))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await waiter


def _apply(text: str, edit: types.WorkspaceEdit | None, uri: str) -> str:
    assert edit is not None and edit.changes is not None
    index = LineIndex(text)
    edits = []
    for change in edit.changes[uri]:
        start = index.offset_from_utf16(change.range.start.line, change.range.start.character)
        end = index.offset_from_utf16(change.range.end.line, change.range.end.character)
        edits.append(Edit(Span(start, end), change.new_text))
    return apply_edits(text, edits)


def _codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_open_publishes_utf16_diagnostics(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "app1.py", BAD)
    diags = client.diagnostics[uri]
    assert _codes(list(diags)) == ["PC101", "PC501"]
    clock = next(d for d in diags if d.code == "PC101")
    assert CLOCK_CHAR == 25  # 24 code points: the emoji is two UTF-16 code units
    assert clock.range.start == types.Position(line=CLOCK_LINE, character=CLOCK_CHAR)
    assert clock.range.end.character == CLOCK_CHAR + len("datetime.now()")
    assert clock.severity == types.DiagnosticSeverity.Error
    assert clock.source == "promptlint"
    assert clock.code_description is not None
    assert clock.code_description.href.endswith("#pc101-volatile-time-in-prefix")
    header = next(d for d in diags if d.code == "PC501")
    assert header.severity == types.DiagnosticSeverity.Warning
    assert isinstance(header.data, dict) and header.data["fix"]["applicability"] == "safe"


async def test_template_documents_get_diagnostics_and_line_move_fix(
    client: LanguageClient, workspace: Path
) -> None:
    policy = "".join(
        f"Policy line {i}: answer politely, cite the handbook, never guess prices.\n" for i in range(8)
    )
    # Linted on its own, a template's only evidence is a clock or id name: `customer_name` is of
    # unknown origin and silent (issue 11), `{{ current_time }}` is a clock.
    silent = "Hello {{ customer_name }}!\n" + policy
    silent_uri = await _open(client, workspace / "templates" / "hello.j2", silent, language="jinja")
    assert not client.diagnostics[silent_uri]
    text = "Hello {{ customer_name }}, it is {{ current_time }}!\n" + policy
    uri = await _open(client, workspace / "templates" / "greet.j2", text, language="jinja")
    (diag,) = client.diagnostics[uri]
    assert diag.code == "PC101"
    assert diag.range.start == types.Position(line=0, character=len("Hello {{ customer_name }}, it is "))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    titles = [a.title for a in actions or [] if isinstance(a, types.CodeAction)]
    assert any("below the static text" in t and "unsafe" in t for t in titles), titles
    assert any("Ignore PC101" in t for t in titles), titles


async def test_change_updates_diagnostics_from_unsaved_buffer(
    client: LanguageClient, workspace: Path
) -> None:
    uri = await _open(client, workspace / "app2.py", BAD)
    # The file on disk still has the clock; only the buffer changes.
    fixed = BAD.replace("{datetime.now():%H:%M:%S}", "")
    assert _codes(await _change(client, uri, 2, fixed)) == ["PC501"]
    shifted = "# a new first line\n" + BAD
    diags = await _change(client, uri, 3, shifted)
    clock = next(d for d in diags if d.code == "PC101")
    assert clock.range.start == types.Position(line=CLOCK_LINE + 1, character=CLOCK_CHAR)


async def test_debounce_lints_only_the_last_of_rapid_changes(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "app3.py", BAD)
    for version in range(2, 6):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=BAD + "#" * version)],
            )
        )
    # only the final version is published; a stale version would be skipped by `_published`
    assert _codes(await _published(client, uri, 5)) == ["PC101", "PC501"]


async def test_code_actions_apply_fix_and_ignore(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "app4.py", BAD)
    diags = list(client.diagnostics[uri])
    header = next(d for d in diags if d.code == "PC501")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=header.range,
            context=types.CodeActionContext(diagnostics=[header]),
        )
    )
    assert actions is not None
    by_title = {a.title: a for a in actions if isinstance(a, types.CodeAction)}
    fix = by_title["Remove `X-Cache-Enable`"]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    fixed = _apply(BAD, fix.edit, uri)
    assert "X-Cache-Enable" not in fixed and "X-Request-ID" in fixed
    assert _codes(await _change(client, uri, 2, fixed)) == ["PC101"]

    clock = next(d for d in client.diagnostics[uri] if d.code == "PC101")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=clock.range,
            context=types.CodeActionContext(diagnostics=[clock], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert actions is not None
    ignore = next(
        a for a in actions if isinstance(a, types.CodeAction) and a.title == "Ignore PC101 on this line"
    )
    ignored = _apply(fixed, ignore.edit, uri)
    assert "# promptlint: ignore[PC101]" in ignored
    assert await _change(client, uri, 3, ignored) == []


async def test_fix_all_applies_every_safe_fix(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "app5.py", BAD)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    assert actions is not None
    assert [a.kind for a in actions if isinstance(a, types.CodeAction)] == ["source.fixAll.promptlint"]
    action = actions[0]
    assert isinstance(action, types.CodeAction)
    fixed = _apply(BAD, action.edit, uri)
    assert "X-Cache-Enable" not in fixed and "datetime.now()" in fixed  # the clock has no safe fix


async def test_hover_shows_rule_docs(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "app6.py", BAD)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=CLOCK_LINE, character=CLOCK_CHAR + 3),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert "volatile-time-in-prefix (PC101)" in result.contents.value
    assert "## Why is this bad?" in result.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)
        )
    )
    assert nothing is None


async def test_config_change_refreshes_open_documents(client: LanguageClient, workspace: Path) -> None:
    uri = await _open(client, workspace / "cfg" / "app7.py", BAD)
    assert _codes(list(client.diagnostics[uri])) == ["PC101", "PC501"]
    registered = getattr(client, "registrations", [])
    assert [r.method for r in registered] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    config = workspace / "cfg" / "pyproject.toml"
    config.write_text('[tool.promptlint]\npreview = true\nignore = ["PC501"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    # Every open document is re-published at once, so poll instead of waiting for one notification.
    for _ in range(400):
        if _codes(list(client.diagnostics[uri])) == ["PC101"]:
            break
        await asyncio.sleep(0.05)
    assert _codes(list(client.diagnostics[uri])) == ["PC101"]


async def test_malformed_request_gets_error_and_server_keeps_serving(
    client: LanguageClient, workspace: Path
) -> None:
    uri = await _open(client, workspace / "app8.py", BAD)
    # The typed client refuses to serialize bad params, so write the raw JSON-RPC message ourselves
    # and register the pending request so the client routes the error response to our future.
    answer: Future[Any] = Future()
    client.protocol._request_futures["malformed-1"] = answer
    client.protocol._send_data(
        {"jsonrpc": "2.0", "id": "malformed-1", "method": "textDocument/hover", "params": {"bogus": 1}}
    )
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(asyncio.wrap_future(answer), 10)
    assert "Invalid Params" in str(info.value)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=CLOCK_LINE, character=CLOCK_CHAR),
        )
    )
    assert result is not None


async def test_cli_server_command_shutdown_and_exit() -> None:
    lsp_client = await CLI_SERVER.start()
    assert isinstance(lsp_client, LanguageClient)
    try:
        await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
        await lsp_client.shutdown_session()
        assert lsp_client._server is not None
        assert lsp_client._server.returncode == 0
    finally:
        await lsp_client.stop()


async def test_malformed_messages_are_answered_and_logged_never_shown(
    client: LanguageClient, workspace: Path
) -> None:
    uri = await _open(client, workspace / "app9.py", BAD)
    shown_before, logged_before = len(client.messages), len(client.log_messages)
    writer = client.protocol.writer
    assert writer is not None
    for body in (b"{not json", b"[1, 2, 3]", b'{"id": 7, "method": "x"}', b"\xff\xfe"):
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    client.protocol._send_data({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"bad": 1}})
    for _ in range(200):
        if len(client.log_messages) - logged_before >= 5:
            break
        await asyncio.sleep(0.05)
    assert len(client.log_messages) - logged_before >= 5
    assert len(client.messages) == shown_before  # no window/showMessage popup
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=CLOCK_LINE, character=CLOCK_CHAR),
        )
    )
    assert result is not None
