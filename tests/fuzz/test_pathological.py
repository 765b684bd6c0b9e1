"""Pathological inputs (string doubling, deep nesting, huge lines, cycles, alias bombs, bad codecs)
lint to the end: no traceback, the right exit code, PC001 where the file cannot be read, and the
findings that are really there. Time and memory per input are measured by `run_long.py`, not here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz.harness import Scratch, invoke
from tests.fuzz.pathological import CASES

# Per case: files that must get PC001, and (path, code) findings that must be reported.
EXPECTED: dict[str, tuple[set[str], set[tuple[str, str]]]] = {
    "doubling_volatile": (set(), {("doubling_volatile.py", "PC101")}),
    "deep_nesting": ({"deep_nesting.py"}, set()),
    "long_concatenation": ({"long_concat.py"}, set()),
    "bad_codecs": ({"punycode.py", "rot13.py", "unknown.py", "lying.py", "mixed.py", "utf16.py"}, set()),
}


def lint_case(name: str, tmp_path: Path) -> tuple[int, list[dict[str, object]]]:
    scratch = Scratch()
    try:
        scratch.write({"promptlint.toml": b"preview = true\n", **CASES[name]()})
        outcome = invoke(scratch.root, ["check", "--output-format", "json", "."])
    finally:
        scratch.close()
    assert not outcome.traceback, outcome.traceback
    assert outcome.exit_code in (0, 1), outcome.output[-2000:]
    return outcome.exit_code, json.loads(outcome.output)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pathological_input_lints_to_the_end(name: str, tmp_path: Path) -> None:
    _, findings = lint_case(name, tmp_path)
    unreadable, wanted = EXPECTED.get(name, (set(), set()))
    pc001 = {str(f["filename"]).rsplit("/", 1)[-1] for f in findings if f["code"] == "PC001"}
    assert pc001 == unreadable
    got = {(str(f["filename"]).rsplit("/", 1)[-1], str(f["code"])) for f in findings}
    assert wanted <= got


def test_a_finding_past_the_size_bound_has_an_estimated_cost(tmp_path: Path) -> None:
    _, findings = lint_case("doubling_volatile", tmp_path)
    (pc101,) = [f for f in findings if f["code"] == "PC101"]
    impact = pc101["cache_impact"]
    assert isinstance(impact, dict) and impact.get("estimated") is True
