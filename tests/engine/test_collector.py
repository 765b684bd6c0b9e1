"""The lint run's garbage-collector policy: off during a run, cycles still collected between files."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from promptlint.engine.collector import SURVIVOR_LIMIT, between_files, tuned_for_lint
from promptlint.engine.runner import lint_paths


class _Node:
    def __init__(self) -> None:
        self.partner: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.partner, b.partner = b, a
    return weakref.ref(a)


def test_the_collector_is_off_during_a_run_and_restored_after() -> None:
    assert gc.isenabled()
    with tuned_for_lint():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled_after_a_run() -> None:
    gc.disable()
    try:
        with tuned_for_lint():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cyclic_garbage_is_collected_between_files_once_past_the_limit() -> None:
    with tuned_for_lint():
        gc.collect()
        probe = _cycle()
        between_files()
        assert probe() is not None, "below the limit nothing runs"
        garbage = [_cycle() for _ in range(SURVIVOR_LIMIT)]  # past the limit: the next check collects
        between_files()
        assert probe() is None
        assert all(ref() is None for ref in garbage[:100])


def test_a_run_restores_the_collector(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("SYSTEM_PROMPT = 'You are helpful.'\n")
    lint_paths([str(tmp_path)], jobs=1)
    assert gc.isenabled()
