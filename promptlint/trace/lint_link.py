"""Attach lint findings from a source tree to trace causes (`trace --source DIR`).

Runs the engine's `lint_paths` on the tree; each cause maps to the rule codes that detect it
statically. Findings become plain dicts (code, location, message).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from promptlint.engine.runner import lint_paths
from promptlint.source import LineIndex
from promptlint.trace.normalise import Item

CAUSE_CODES: Mapping[str, tuple[str, ...]] = {
    "timestamp": ("PC101",),
    "id": ("PC102",),
    "json-key-order": ("PC301",),
    "tools-changed": ("PC302",),
    "sliding-window": ("PC401",),
    "history-edited": ("PC402",),
    "breakpoint": ("PC503", "PC502"),
}


class SourceLinks(Protocol):
    """Findings of a linted source tree, looked up for one logged request."""

    def for_request(self, cause: str, items: Sequence[Item]) -> tuple[Mapping[str, object], ...]:
        """The findings that detect `cause` statically and whose prompt is the one in `items`."""
        ...


class ByCause:
    """Every finding of the rules that detect a cause, whatever the request (the old behaviour)."""

    def __init__(self, table: Mapping[str, tuple[Mapping[str, object], ...]]) -> None:
        self.table = table

    def for_request(self, cause: str, items: Sequence[Item]) -> tuple[Mapping[str, object], ...]:
        return tuple(self.table.get(cause, ()))


def findings_by_cause(source_dir: str) -> dict[str, tuple[dict[str, object], ...]]:
    """Run the linter on `source_dir` and group its findings by the trace cause they explain."""
    result = lint_paths([source_dir])
    diagnostics = result.diagnostics
    texts: dict[str, LineIndex] = {str(path): source.lines for path, source in result.sources.items()}
    out: dict[str, list[dict[str, object]]] = {}
    for diag in sorted(diagnostics, key=lambda d: (str(d.path), d.span.start, str(d.code))):
        for cause, codes in CAUSE_CODES.items():
            if diag.code in codes:
                out.setdefault(cause, []).append(
                    {"code": diag.code, "location": _location(diag, texts), "message": diag.message}
                )
    return {k: tuple(v) for k, v in out.items()}


def _location(diag: Any, texts: dict[str, LineIndex]) -> str:
    path = str(diag.path)
    if path not in texts:
        try:
            texts[path] = LineIndex(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return path
    pos = texts[path].position(diag.span.start)
    return f"{path}:{pos.line}:{pos.column}"
