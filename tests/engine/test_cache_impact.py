"""Token figures: exclusive template branches count one variant; a summary counts each prompt once."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlint.diagnostics import CacheImpact, Diagnostic, Severity, Span, total_cache_impact
from promptlint.engine.runner import lint_paths

LONG = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. " * 4


def _tokens(tmp_path: Path, template: str) -> int:
    (tmp_path / "t.j2").write_text(template)
    diags = [d for d in lint_paths([str(tmp_path / "t.j2")], jobs=1).diagnostics if d.code == "PC101"]
    assert len(diags) == 1
    assert diags[0].cache_impact is not None
    return diags[0].cache_impact.tokens_after


def test_exclusive_branches_count_one_variant(tmp_path: Path) -> None:
    tail = "Always: be brief and quote the source.\n"
    one = _tokens(tmp_path, "{{ now() }}\n{% if kind == 'a' %}\nA: " + LONG + "\n{% endif %}\n" + tail)
    three = _tokens(
        tmp_path,
        "{{ now() }}\n{% if kind == 'a' %}\nA: "
        + LONG
        + "\n{% elif kind == 'b' %}\nB: "
        + LONG
        + "\n{% else %}\nC: "
        + LONG
        + "\n{% endif %}\n"
        + tail,
    )
    assert three == one  # the siblings of the branch taken are never sent with it


def test_a_clock_inside_a_branch_does_not_count_its_siblings(tmp_path: Path) -> None:
    inside = _tokens(
        tmp_path, "{% if kind == 'a' %}{{ now() }}\nA: " + LONG + "{% else %}B: " + LONG + "{% endif %}"
    )
    alone = _tokens(tmp_path, "{{ now() }}\nA: " + LONG)
    assert inside == alone


def _diag(tokens: int, site: tuple[str, int, int] | None) -> Diagnostic:
    return Diagnostic(
        "PC201", "x", Severity.WARNING, "m", "a.py", Span(0, 1), cache_impact=CacheImpact(tokens, site)
    )


@pytest.mark.parametrize(
    ("diags", "total"),
    [
        ([_diag(800, ("a.py", 5, 9)), _diag(300, ("a.py", 5, 9))], 800),  # one prompt: its largest tail
        ([_diag(800, ("a.py", 5, 9)), _diag(300, ("a.py", 50, 90))], 1100),  # two prompts
        ([_diag(10, None), _diag(20, None)], 30),  # no prompt known: each on its own
    ],
)
def test_total_counts_each_prompt_once(diags: list[Diagnostic], total: int) -> None:
    assert total_cache_impact(diags) == total
