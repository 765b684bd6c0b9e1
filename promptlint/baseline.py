"""Baselines: adopt promptlint on an existing code base and fail only on new findings.

A baseline file is JSON: `{"version": 1, "tool": "promptlint", "findings": [{fingerprint, code,
path, message}, ...]}`, sorted, so it diffs cleanly. Findings whose fingerprint (see
`output/fingerprint.py`; insensitive to unrelated line shifts) is in the baseline are dropped.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from promptlint.diagnostics import Diagnostic, Severity, fails  # noqa: F401 - `fails` was public here
from promptlint.errors import UsageError
from promptlint.output.fingerprint import fingerprints, relative_path
from promptlint.output.report import Report

BASELINE_VERSION = 1


@dataclass(frozen=True, slots=True)
class BaselineResult:
    """Diagnostics left after the baseline, and how many it absorbed."""

    diagnostics: tuple[Diagnostic, ...]
    suppressed: int


def load_baseline(path: str) -> frozenset[str]:
    """Fingerprints in a baseline file.

    Raises:
        UsageError: the file cannot be read or is not a promptlint baseline.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data: Any = json.load(handle)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read baseline: {exc.strerror}", hint="create it with --write-baseline"
        ) from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: invalid baseline JSON: {exc}", hint="recreate it with --write-baseline"
        ) from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and "fingerprint" in f for f in findings
    ):
        raise UsageError(f"{path}: not a promptlint baseline", hint="recreate it with --write-baseline")
    return frozenset(str(f["fingerprint"]) for f in findings)


def base_of(path: str) -> str:
    """The directory a baseline's paths are relative to: the one that holds it."""
    return os.path.dirname(os.path.abspath(path))


def apply_baseline(report: Report, known: frozenset[str], base: str | None = None) -> BaselineResult:
    """Drop the diagnostics whose fingerprint (paths relative to `base`) is in `known`."""
    prints = fingerprints(report, base)
    kept = tuple(d for d, fp in zip(report.diagnostics, prints, strict=True) if fp not in known)
    return BaselineResult(kept, len(report.diagnostics) - len(kept))


def baseline_json(report: Report, base: str | None = None) -> str:
    findings = [
        {"fingerprint": fp, "code": d.code, "path": relative_path(d.path, base), "message": d.message}
        for d, fp in zip(report.diagnostics, fingerprints(report, base), strict=True)
    ]
    findings.sort(key=lambda f: (f["path"], f["code"], f["fingerprint"]))
    data = {"version": BASELINE_VERSION, "tool": "promptlint", "findings": findings}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: str, report: Report) -> int:
    """Write every diagnostic of `report` to a baseline file atomically; return how many. Paths are
    stored relative to the file's directory."""
    text = baseline_json(report, base_of(path))
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".promptlint-baseline-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(report.diagnostics)
