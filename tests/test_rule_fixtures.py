"""Fixture snapshots: every file in fixtures/rules/<CODE>/ is linted with only that rule selected
(or the `select` of a sibling `<case>.toml`) and compared with tests/snapshots/rules/<CODE>/<file>.snap.

Snapshots are the `full` report (code frames, cache impact, fixes) with paths relative to the fixture
directory. `pytest --update-snapshots` rewrites them; review the diff like code.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path

import pytest

from promptlint.config.schema import Settings
from promptlint.engine.fixer import applicable, fix_source, parses
from promptlint.engine.runner import RunResult, Selection, lint_paths, new_state
from promptlint.output import FORMATS, Report

from .snapshot import assert_snapshot

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "rules"
CASES = sorted(
    p for p in FIXTURES.glob("PC*/*") if p.is_file() and p.suffix != ".toml" and not p.name.startswith(".")
)


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_snapshot(path: Path, update_snapshots: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    code = path.parent.name
    select: tuple[str, ...] = (code,)
    sidecar = path.with_suffix(".toml")
    if sidecar.exists():
        select = tuple(tomllib.loads(sidecar.read_text())["select"])
    monkeypatch.chdir(path.parent)
    run = lint_paths([path.name], selection=Selection(select=select))
    assert not run.errors, run.errors
    text = FORMATS["full"](Report(tuple(run.diagnostics), run.sources)) or "(no diagnostics)\n"
    assert os.sep + "fixtures" + os.sep not in text, "snapshot paths must be relative"
    text += _after_fixes(run, select)
    assert_snapshot(text, SNAPSHOTS / code / f"{path.name}.snap", update_snapshots)


def _after_fixes(run: RunResult, select: tuple[str, ...]) -> str:
    """The diff after applying every fix (safe and unsafe) until stable; the result must still parse."""
    out = []
    for path, source in sorted(run.sources.items()):
        if not any(applicable(d.fix, unsafe=True) for d in run.diagnostics if d.path == path):
            continue
        outcome = fix_source(source, Settings(select=select), new_state(), unsafe=True)
        assert outcome.warning is None, outcome.warning
        assert parses(outcome.text, source.kind)
        diff = difflib.unified_diff(
            source.text.splitlines(True), outcome.text.splitlines(True), path, f"{path} (fixed)"
        )
        out.append("\n--- after all fixes ---\n" + "".join(diff))
    return "".join(out)


def test_every_rule_with_examples_has_fixtures() -> None:
    from promptlint.engine.registry import Registry

    missing = [r.code for r in Registry.load().rules if not (FIXTURES / r.code).is_dir()]
    assert not missing, f"rules without fixtures/rules/<CODE>/: {missing}"
