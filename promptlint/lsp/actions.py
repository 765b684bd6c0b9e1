"""Diagnostics -> LSP: published diagnostics, code actions (fixes, fix-all, ignore comments), hovers.

Pure functions over a document's `SourceFile` and its diagnostics; the server owns no logic here.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable, Sequence

from lsprotocol import types
from lsprotocol.converters import get_converter

from promptlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Span
from promptlint.engine.registry import Registry
from promptlint.engine.suppression import find_suppressions
from promptlint.explain import explain_rule
from promptlint.fixes import apply_edits, select_non_overlapping
from promptlint.output.lsp_json import file_uri, lsp_diagnostic, lsp_range
from promptlint.source import FileKind, LineIndex, SourceFile

FIX_ALL_KIND = "source.fixAll.promptlint"
CODE_ACTION_KINDS = (types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND)
_CONVERTER = get_converter()


def _index_for(source: SourceFile) -> Callable[[str], LineIndex]:
    def index_for(path: str) -> LineIndex:
        if path == source.path:
            return source.lines
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return LineIndex(handle.read())
        except OSError:
            return LineIndex("")

    return index_for


def _uri_for(source: SourceFile, uri: str) -> Callable[[str], str]:
    def uri_for(path: str) -> str:
        return uri if path == source.path else file_uri(path)

    return uri_for


def to_lsp(diag: Diagnostic, source: SourceFile, uri: str) -> types.Diagnostic:
    data = lsp_diagnostic(diag, _index_for(source), _uri_for(source, uri))
    result: types.Diagnostic = _CONVERTER.structure(data, types.Diagnostic)
    return result


def _range(source: SourceFile, span: Span) -> types.Range:
    result: types.Range = _CONVERTER.structure(lsp_range(source.lines, span), types.Range)
    return result


def span_of(source: SourceFile, rng: types.Range) -> Span:
    index = source.lines
    start = index.offset_from_utf16(rng.start.line, rng.start.character)
    end = index.offset_from_utf16(rng.end.line, rng.end.character)
    return Span(start, max(start, end))


def _edit(uri: str, source: SourceFile, edits: Sequence[Edit]) -> types.WorkspaceEdit:
    text_edits = [types.TextEdit(range=_range(source, e.span), new_text=e.content) for e in edits]
    return types.WorkspaceEdit(changes={uri: text_edits})


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    return only is None or any(kind == o or kind.startswith(o + ".") for o in only)


def _touches(span: Span, other: Span) -> bool:
    return span.start <= other.end and other.start <= span.end


def code_actions(
    uri: str,
    source: SourceFile,
    diagnostics: Sequence[Diagnostic],
    rng: types.Range,
    only: Sequence[str] | None,
) -> list[types.CodeAction]:
    """Quick fixes and ignore comments for diagnostics touching `rng`, plus fix-all."""
    actions: list[types.CodeAction] = []
    wanted = span_of(source, rng)
    if _wanted(types.CodeActionKind.QuickFix, only):
        for diag in diagnostics:
            if not _touches(diag.span, wanted):
                continue
            lsp_diag = to_lsp(diag, source, uri)
            if diag.fix is not None and diag.fix.applicability != Applicability.DISPLAY_ONLY:
                safe = diag.fix.applicability == Applicability.SAFE
                actions.append(
                    types.CodeAction(
                        title=f"{diag.fix.title}{'' if safe else ' (unsafe)'}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        is_preferred=safe,
                        edit=_edit(uri, source, diag.fix.edits),
                    )
                )
            ignore = ignore_edit(source, diag)
            if ignore is not None:
                actions.append(
                    types.CodeAction(
                        title=f"Ignore {diag.code} on this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diag],
                        edit=_edit(uri, source, [ignore]),
                    )
                )
    fix_all = fix_all_edits(diagnostics)
    if fix_all and (only is None or _wanted(FIX_ALL_KIND, only)):
        actions.append(
            types.CodeAction(
                title="promptlint: fix all safe fixes",
                kind=FIX_ALL_KIND,
                edit=_edit(uri, source, fix_all),
            )
        )
    return actions


def fix_all_edits(diagnostics: Sequence[Diagnostic]) -> list[Edit]:
    """Edits of every safe fix, skipping fixes that overlap one already taken."""
    fixes: list[Fix] = [
        d.fix for d in diagnostics if d.fix is not None and d.fix.applicability == Applicability.SAFE
    ]
    return [edit for fix in select_non_overlapping(fixes) for edit in fix.edits]


def ignore_edit(source: SourceFile, diag: Diagnostic) -> Edit | None:
    """An edit adding a suppression comment for `diag` on its line (or the line before, for Python)."""
    index = source.lines
    line0 = index.line_of(diag.span.start)
    for sup in find_suppressions(source):
        if sup.line == line0 and not sup.whole_file:
            if diag.code in sup.codes:
                return None
            at = sup.code_spans[-1].end if sup.code_spans else sup.span.end - 1
            return Edit(Span(at, at), f", {diag.code}" if sup.code_spans else diag.code)
    line_start = index.starts[line0]
    line_end = line_start + len(index.line_text(line0))
    if source.kind is FileKind.PYTHON:
        text = index.line_text(line0)
        indent = text[: len(text) - len(text.lstrip())]
        newline = source.newline
        for edit in (
            Edit(Span(line_end, line_end), f"  # promptlint: ignore[{diag.code}]"),
            Edit(Span(line_start, line_start), f"{indent}# promptlint: ignore[{diag.code}]{newline}"),
        ):
            if _comment_lands(apply_edits(source.text, [edit]), line0 + 1):
                return edit
        return None
    if source.kind is FileKind.TEXT and "{{" not in source.text and "{%" not in source.text:
        return None  # a plain text prompt has no comment syntax
    return Edit(Span(line_end, line_end), f"{{# promptlint: ignore[{diag.code}] #}}")


def _comment_lands(text: str, line1: int) -> bool:
    """Whether `text` tokenizes with a promptlint comment token on 1-based `line1`."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and token.start[0] == line1 and "promptlint:" in token.string:
                return True
    except (tokenize.TokenError, SyntaxError):
        return False
    return False


def hover(
    source: SourceFile, diagnostics: Sequence[Diagnostic], position: types.Position, registry: Registry
) -> types.Hover | None:
    """The rule docs of every diagnostic under `position`."""
    offset = source.lines.offset_from_utf16(position.line, position.character)
    hits = [d for d in diagnostics if d.span.start <= offset <= d.span.end]
    if not hits:
        return None
    parts = []
    for diag in hits:
        rule = registry.by_code(diag.code)
        docs = explain_rule(rule) if rule is not None else ""
        parts.append(f"**{diag.code}** `{diag.name}`: {diag.message}\n\n{docs}".rstrip())
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
        range=_range(source, hits[0].span),
    )
