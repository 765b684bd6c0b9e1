"""`github`: GitHub Actions workflow commands, one `::error`/`::warning`/`::notice` line per finding."""

from __future__ import annotations

from promptlint.diagnostics import Severity
from promptlint.output.report import Report, display_path

_COMMAND = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for diag in report.diagnostics:
        start, end = report.start(diag), report.end(diag)
        props = [
            f"file={escape_property(display_path(diag.path).replace(chr(92), '/'))}",
            f"line={start.line}",
            f"col={start.column}",
            f"endLine={end.line}",
            f"endColumn={end.column}",
            f"title={escape_property(f'{diag.code} ({diag.name})')}",
        ]
        lines.append(f"::{_COMMAND[diag.severity]} {','.join(props)}::{escape_data(diag.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
