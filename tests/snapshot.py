"""A small snapshot helper: compare text with a `.snap` file, or rewrite it with --update-snapshots.

A missing snapshot fails (it is never created silently outside --update-snapshots).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest


def assert_snapshot(actual: str, path: Path, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"missing snapshot {path}; run pytest --update-snapshots and review the new file")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "snapshot", "actual")
        )
        pytest.fail(f"snapshot {path} differs (pytest --update-snapshots to accept):\n{diff}")
