"""The catalogue is consistent: unique codes/names, file layout matches code and name, docs complete,
and README's rule table is up to date."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from promptlint.engine.registry import Registry, builtin_rules_dir
from promptlint.explain import explain_rule, readme_block
from promptlint.rules_api.base import FixAvailability, Rule

REGISTRY = Registry.load()
FAMILIES = {
    "PC0": "meta",
    "PC1": "volatile",
    "PC2": "layout",
    "PC3": "ordering",
    "PC4": "history",
    "PC5": "provider",
}
README = Path(__file__).resolve().parent.parent / "README.md"


def test_codes_and_names_unique() -> None:
    codes = [r.code for r in REGISTRY.rules]
    names = [r.name for r in REGISTRY.rules]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", REGISTRY.rules, ids=lambda r: r.code)
def test_layout_matches_code_and_name(rule: type[Rule]) -> None:
    assert re.fullmatch(r"PC\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name)
    path = Path(sys.modules[rule.__module__].__file__ or "")
    assert path.stem == rule.name.replace("-", "_")
    assert path.parent.name == FAMILIES[rule.code[:3]]
    assert path.parent.parent == builtin_rules_dir()
    assert rule.__name__ == "".join(w.capitalize() for w in rule.name.split("-"))


@pytest.mark.parametrize("rule", REGISTRY.rules, ids=lambda r: r.code)
def test_docs_have_required_sections(rule: type[Rule]) -> None:
    doc = rule.documentation()
    assert doc.split("\n", 1)[0].strip(), "summary line"
    assert "## What it does" in doc
    assert "## Why is this bad?" in doc
    assert "## Example" not in doc and "## Use instead" not in doc, "examples are rendered from `examples`"
    if rule.fix_availability is not FixAvailability.NONE:
        assert "## Fix safety" in doc
    text = explain_rule(rule)
    assert "## Example" in text and "## Use instead" in text


@pytest.mark.parametrize("rule", REGISTRY.rules, ids=lambda r: r.code)
def test_message_is_a_clean_template(rule: type[Rule]) -> None:
    assert (rule.message[0].isupper() or rule.message[0] == "`") and not rule.message.endswith(".")


def test_rules_import_only_the_public_api() -> None:
    for path in builtin_rules_dir().rglob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import ", "from ")) and "promptlint" in line:
                assert line.startswith("from promptlint.api import"), f"{path}: {line}"


def test_readme_rule_table_is_current() -> None:
    assert readme_block(REGISTRY) in README.read_text(encoding="utf-8"), (
        "README rule table is stale: run `python -m promptlint.explain README.md`"
    )
