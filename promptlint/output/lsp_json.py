"""`lsp`: `{uri: [LSP Diagnostic, ...]}` with 0-based UTF-16 ranges (DESIGN §6).

`lsp_diagnostic` is also what the language server publishes (structured into lsprotocol types there),
so the command-line format and the editor show the same thing. Fixes travel in `data.fix`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promptlint.diagnostics import Diagnostic, Fix, Severity, Span
from promptlint.output.report import Report
from promptlint.source import LineIndex

LSP_SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3, Severity.HINT: 4}
SOURCE = "promptlint"


def lsp_range(index: LineIndex, span: Span) -> dict[str, dict[str, int]]:
    start_line, start_char = index.utf16_position(span.start)
    end_line, end_char = index.utf16_position(span.end)
    return {
        "start": {"line": start_line, "character": start_char},
        "end": {"line": end_line, "character": end_char},
    }


def fix_data(fix: Fix, index: LineIndex) -> dict[str, Any]:
    return {
        "title": fix.title,
        "applicability": str(fix.applicability),
        "edits": [{"range": lsp_range(index, e.span), "newText": e.content} for e in fix.edits],
    }


def lsp_diagnostic(
    diag: Diagnostic, index_for: Callable[[str], LineIndex], uri_for: Callable[[str], str]
) -> dict[str, Any]:
    """One diagnostic as an LSP `Diagnostic` object (plain JSON data)."""
    index = index_for(diag.path)
    out: dict[str, Any] = {
        "range": lsp_range(index, diag.span),
        "severity": LSP_SEVERITY[diag.severity],
        "code": diag.code,
        "source": SOURCE,
        "message": diag.message,
    }
    if diag.url:
        out["codeDescription"] = {"href": diag.url}
    related = [
        {
            "location": {"uri": uri_for(loc.path), "range": lsp_range(index_for(loc.path), loc.span)},
            "message": loc.message or "related",
        }
        for loc in (diag.chain or diag.related)
    ]
    if related:
        out["relatedInformation"] = related
    out["data"] = {
        "name": diag.name,
        "fix": fix_data(diag.fix, index) if diag.fix is not None else None,
    }
    return out


def file_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def render_lsp(report: Report) -> str:
    out: dict[str, list[dict[str, Any]]] = {}
    for diag in report.diagnostics:
        out.setdefault(file_uri(diag.path), []).append(lsp_diagnostic(diag, report.index, file_uri))
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
