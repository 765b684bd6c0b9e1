"""The default rule set follows measured real-code precision (`rules_api/measured.py`)."""

from __future__ import annotations

from promptlint.engine.registry import Registry
from promptlint.rules_api.base import Status
from promptlint.rules_api.measured import is_prompt_rule, measured, parse_measured

TABLE = {
    "policy": {"min-precision": 0.9, "min-labelled": 5},
    "corpus": {"repositories": 30},
    "rules": {
        "PC101": {"findings": 12, "labelled": 10, "true": 9, "false": 1},
        "PC201": {"findings": 40, "labelled": 20, "true": 17, "false": 2, "debatable": 1},
        "PC301": {"findings": 3, "labelled": 3, "true": 3},
    },
}


def _rule(code: str) -> type:
    rule = Registry.load().by_code(code)
    assert rule is not None
    return rule


def test_status_follows_precision_and_sample_size() -> None:
    table = parse_measured(TABLE)
    assert table.status(_rule("PC101")) is Status.STABLE  # 9/10 = 90%
    assert table.status(_rule("PC201")) is Status.PREVIEW  # 17/20 = 85% (debatable counts against)
    assert table.status(_rule("PC301")) is Status.PREVIEW  # 3/3, but only 3 labelled
    assert table.status(_rule("PC401")) is Status.PREVIEW  # never measured
    assert table.status(_rule("PC001")) is Status.STABLE  # about promptlint's input, not a prompt
    assert table.describe(_rule("PC101")) == "90% (9/10)"
    assert table.describe(_rule("PC401")) == "unmeasured"


def test_the_packaged_table_covers_what_it_claims() -> None:
    table = measured()
    assert 0 < table.min_precision <= 1 and table.min_labelled >= 1
    assert table.repositories >= 30
    codes = {r.code for r in Registry.load().rules}
    for code, row in table.rules.items():
        assert code in codes, code
        assert row.true + row.false + row.debatable == row.labelled <= row.findings
    assert not is_prompt_rule("PC003") and is_prompt_rule("PC101")
