"""Suppression comments: `# promptlint: ignore[PC101]` (the line or the line before),
`{# promptlint: ignore[PC101] #}` in templates, and `promptlint: file-ignore[...]` for a whole file.

Unknown codes are reported as PC003 and suppressions that matched nothing as PC002.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from promptlint.diagnostics import Diagnostic, Severity, Span
from promptlint.source import FileKind, SourceFile

_COMMENT = re.compile(r"(?:#|\{#-?)\s*promptlint:\s*(?P<kind>file-ignore|ignore)\[(?P<codes>[^\]]*)\]")


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int  # 0-based line of the comment
    codes: tuple[str, ...]
    whole_file: bool
    span: Span
    code_spans: tuple[Span, ...]


def _comment_ranges(source: SourceFile) -> list[tuple[int, int]] | None:
    """Character ranges of real comments in a Python file (None: not Python, or it does not tokenize)."""
    if source.kind is not FileKind.PYTHON:
        return None
    ranges = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source.text).readline):
            if tok.type == tokenize.COMMENT:
                start = source.lines.offset(tok.start[0], tok.start[1])
                ranges.append((start, start + len(tok.string)))
    except (tokenize.TokenError, SyntaxError):
        return None
    return ranges


def find_suppressions(source: SourceFile) -> list[Suppression]:
    if "promptlint:" not in source.text:
        return []
    comments = _comment_ranges(source)
    out = []
    for match in _COMMENT.finditer(source.text):
        if comments is not None and not any(a <= match.start() < b for a, b in comments):
            continue  # the syntax inside a string literal or docstring is not a suppression
        codes, spans = [], []
        base = match.start("codes")
        for item in re.finditer(r"[^,\s]+", match.group("codes")):
            codes.append(item.group())
            spans.append(Span(base + item.start(), base + item.end()))
        out.append(
            Suppression(
                source.lines.line_of(match.start()),
                tuple(codes),
                match.group("kind") == "file-ignore",
                Span(match.start(), match.end()),
                tuple(spans),
            )
        )
    return out


def apply_suppressions(
    source: SourceFile,
    diagnostics: list[Diagnostic],
    known: dict[str, str],
    enabled: set[str],
) -> list[Diagnostic]:
    """Drop suppressed diagnostics; add PC003 for unknown codes and PC002 for unused ones.

    `known` maps every rule code and name to its code; `enabled` holds the codes that ran.
    """
    suppressions = find_suppressions(source)
    if not suppressions:
        return diagnostics
    used: set[tuple[int, int]] = set()
    kept: list[Diagnostic] = []
    for diag in diagnostics:
        line = source.lines.line_of(diag.span.start)
        hit = _matching(suppressions, diag.code, line, known)
        if hit is None:
            kept.append(diag)
        else:
            used.add(hit)
    for si, sup in enumerate(suppressions):
        if not sup.codes:
            kept.append(
                _meta(
                    "PC003",
                    "unknown-suppression-code",
                    "Suppression comment names no rule",
                    source.path,
                    sup.span,
                )
            )
        for ci, (code, span) in enumerate(zip(sup.codes, sup.code_spans, strict=True)):
            resolved = known.get(code)
            if resolved is None:
                kept.append(
                    _meta(
                        "PC003",
                        "unknown-suppression-code",
                        f"Unknown rule `{code}` in suppression comment",
                        source.path,
                        span,
                    )
                )
            elif (si, ci) not in used and resolved in enabled and not sup.whole_file:
                kept.append(
                    _meta(
                        "PC002", "unused-suppression", f"Suppression of `{code}` is unused", source.path, span
                    )
                )
    return kept


def _matching(
    suppressions: list[Suppression], code: str, line: int, known: dict[str, str]
) -> tuple[int, int] | None:
    for si, sup in enumerate(suppressions):
        if not (sup.whole_file or sup.line == line or sup.line == line - 1):
            continue
        for ci, name in enumerate(sup.codes):
            if known.get(name) == code:
                return si, ci
    return None


def _meta(code: str, name: str, message: str, path: str, span: Span) -> Diagnostic:
    return Diagnostic(code, name, Severity.WARNING, message, path, span)
