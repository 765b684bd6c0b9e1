"""Every example of every rule runs: bad ones fire, good ones stay silent, `fixed=` matches the fix."""

from __future__ import annotations

import ast

import pytest

from promptlint.diagnostics import Applicability
from promptlint.engine.registry import Registry
from promptlint.fixes import apply_edits, select_non_overlapping
from promptlint.rules_api.base import Example, FixAvailability, Rule

REGISTRY = Registry.load()
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{example.kind}-{i}")
    for rule in REGISTRY.rules
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: type[Rule], example: Example, lint) -> None:  # type: ignore[no-untyped-def]
    found = [d for d in lint(example.code, example.filename) if d.code == rule.code]
    if example.kind == "good":
        assert found == [], [d.message for d in found]
        return
    assert found, f"{rule.code}: bad example produced no diagnostic"
    if example.count is not None:
        assert len(found) == example.count, [d.message for d in found]
    for diag in found:
        for placeholder in rule.placeholders():
            assert "{" + placeholder + "}" not in diag.message, diag.message
        if rule.fix_availability is FixAvailability.NONE:
            assert diag.fix is None, f"{rule.code} declares no fix but attached one"
    if example.fixed is not None:
        assert rule.fix_availability is not FixAvailability.NONE, "a fixed= example needs a rule that can fix"
        fixes = [
            d.fix
            for d in found
            if d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY
        ]
        assert fixes, "bad example with fixed= produced no applicable fix"
        result = apply_edits(example.code, [e for f in select_non_overlapping(fixes) for e in f.edits])
        assert result == example.fixed
        if example.filename.endswith(".py"):
            ast.parse(result)


@pytest.mark.parametrize("rule", REGISTRY.rules, ids=lambda r: r.code)
def test_rule_has_bad_and_good_examples(rule: type[Rule]) -> None:
    kinds = {e.kind for e in rule.examples}
    assert kinds == {"bad", "good"}, f"{rule.code} needs at least one bad and one good example"
