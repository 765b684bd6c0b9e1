"""Stable fingerprints for diagnostics (SARIF `partialFingerprints`, GitLab, baselines).

A fingerprint hashes the rule code, the file's path (relative, `/`-separated), the culprit text (the
source under the diagnostic's span, whitespace-collapsed) and the occurrence index of that triple in
the file. Line and column numbers are left out on purpose, so findings keep their fingerprint when
unrelated lines are added or removed above them.
"""

from __future__ import annotations

import hashlib
import os
import re

from promptlint.diagnostics import Diagnostic
from promptlint.output.report import Report, display_path

FINGERPRINT_KEY = "promptlint/v1"
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def normalized_path(path: str) -> str:
    """The display path with `/` separators (what fingerprints and reports use)."""
    return display_path(path).replace("\\", "/")


def culprit_text(diag: Diagnostic, report: Report) -> str:
    """The flagged source text, whitespace-collapsed; the message (digits masked) when there is none."""
    source = report.sources.get(diag.path)
    text = source.text[diag.span.start : diag.span.end] if source is not None else ""
    text = _SPACE.sub(" ", text).strip()
    return text or _DIGITS.sub("#", diag.message)


def relative_path(path: str, base: str | None) -> str:
    """`path` relative to directory `base` with `/` separators (the display path when `base` is None)."""
    if base is None:
        return normalized_path(path)
    try:
        return os.path.relpath(os.path.abspath(path), base).replace("\\", "/")
    except ValueError:  # pragma: no cover - another drive on Windows
        return normalized_path(path)


def fingerprints(report: Report, base: str | None = None) -> tuple[str, ...]:
    """One fingerprint per diagnostic of `report`, in the same order. Paths enter relative to `base`
    (a baseline's directory, so the file matches from wherever promptlint runs), else as displayed."""
    order = sorted(range(len(report.diagnostics)), key=lambda i: report.diagnostics[i].sort_key())
    seen: dict[tuple[str, str, str], int] = {}
    out = [""] * len(report.diagnostics)
    for i in order:
        diag = report.diagnostics[i]
        key = (diag.code, relative_path(diag.path, base), culprit_text(diag, report))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8"))
        out[i] = digest.hexdigest()[:32]
    return tuple(out)
