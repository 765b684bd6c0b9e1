"""What every output format renders: diagnostics plus the sources needed to place them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from promptlint.diagnostics import Diagnostic, Span
from promptlint.rules_api.base import Rule
from promptlint.source import LineIndex, Position, SourceFile


@dataclass(frozen=True)
class Report:
    """Diagnostics, the sources they point into, and (for SARIF) the rules that could have fired."""

    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, SourceFile] = field(default_factory=dict)
    fixable_codes: frozenset[str] = frozenset()
    rules: tuple[type[Rule], ...] = ()

    def index(self, path: str) -> LineIndex:
        source = self.sources.get(path)
        return source.lines if source is not None else LineIndex("")

    def start(self, diag: Diagnostic) -> Position:
        return self.index(diag.path).position(diag.span.start)

    def end(self, diag: Diagnostic) -> Position:
        return self.index(diag.path).position(diag.span.end)

    def position(self, path: str, span: Span) -> tuple[Position, Position]:
        index = self.index(path)
        return index.position(span.start), index.position(span.end)


def display_path(path: str) -> str:
    """Paths relative to the working directory when below it; never absolute otherwise-relative paths."""
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        return path if rel.startswith("..") else rel
    return os.path.normpath(path)
