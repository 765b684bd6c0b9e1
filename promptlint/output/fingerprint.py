"""Stable fingerprints for diagnostics (SARIF `partialFingerprints`, GitLab, baselines).

A fingerprint hashes the rule code, the file's path (relative, `/`-separated), the culprit text (the
source under the diagnostic's span, whitespace-collapsed) and the occurrence index of that triple in
the file. Line and column numbers are left out on purpose, so findings keep their fingerprint when
unrelated lines are added or removed above them.
"""

from __future__ import annotations

import hashlib
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


def fingerprints(report: Report) -> tuple[str, ...]:
    """One fingerprint per diagnostic of `report`, in the same order."""
    order = sorted(range(len(report.diagnostics)), key=lambda i: report.diagnostics[i].sort_key())
    seen: dict[tuple[str, str, str], int] = {}
    out = [""] * len(report.diagnostics)
    for i in order:
        diag = report.diagnostics[i]
        key = (diag.code, normalized_path(diag.path), culprit_text(diag, report))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8"))
        out[i] = digest.hexdigest()[:32]
    return tuple(out)
