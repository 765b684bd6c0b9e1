"""`concise`: one line per diagnostic, `path:line:col: CODE [*] message`."""

from __future__ import annotations

from promptlint.output.report import Report, display_path


def render_concise(report: Report) -> str:
    lines = []
    for diag in report.diagnostics:
        pos = report.start(diag)
        marker = " [*]" if diag.fix is not None and diag.fix.applicability == "safe" else ""
        lines.append(f"{display_path(diag.path)}:{pos.line}:{pos.column}: {diag.code}{marker} {diag.message}")
    return "\n".join(lines) + ("\n" if lines else "")
