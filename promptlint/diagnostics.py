"""Diagnostics and fixes as plain data: spans, severities, edits, fixes, diagnostics.

Everything here is a frozen dataclass with character offsets into one file's text; converting
offsets to lines and columns is the output layer's job (see `source.LineIndex`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open range of character offsets `[start, end)` in a file's decoded text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span {self.start}..{self.end}")

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


class Severity(enum.StrEnum):
    """How serious a diagnostic is; ordered from most to least severe by `rank`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1, Severity.HINT: 0}


class Applicability(enum.StrEnum):
    """Whether a fix may be applied automatically (ruff's fix safety levels)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text in `span` with `content`."""

    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A titled, non-overlapping set of edits with one applicability."""

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A span in a named file (which may differ from the diagnostic's own file)."""

    path: str
    span: Span
    message: str = ""


@dataclass(frozen=True, slots=True)
class CacheImpact:
    """What a finding costs: static tokens after the culprit that the cache can no longer reuse."""

    tokens_after: int
    # The request whose prefix this is (path, start, end): findings on one prompt share one tail, so a
    # total counts each prompt once, with its largest tail.
    prompt_site: tuple[str, int, int] | None = None
    # Part of the prompt was too big to spell out (the evaluator's bound): the count is an estimate.
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding of one rule in one file."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    span: Span
    fix: Fix | None = None
    related: tuple[Location, ...] = ()
    cache_impact: CacheImpact | None = None
    url: str = ""
    origin: Location | None = field(default=None, compare=False)
    # The evidence chain: source, the steps the value took, where it enters the prompt, the request.
    chain: tuple[Location, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.start, self.span.end, self.code, self.message)


def total_cache_impact(diagnostics: Iterable[Diagnostic]) -> int:
    """Static tokens lost over all findings, each prompt's tail counted once (its largest)."""
    per_prompt: dict[tuple[str, int, int], int] = {}
    loose = 0
    for diag in diagnostics:
        impact = diag.cache_impact
        if impact is None:
            continue
        if impact.prompt_site is None:
            loose += impact.tokens_after
        else:
            site = impact.prompt_site
            per_prompt[site] = max(per_prompt.get(site, 0), impact.tokens_after)
    return loose + sum(per_prompt.values())


def fails(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], threshold: Severity | None) -> bool:
    """Whether any diagnostic is at or above `threshold` (any diagnostic at all when None)."""
    if threshold is None:
        return bool(diagnostics)
    return any(d.severity.rank >= threshold.rank for d in diagnostics)
