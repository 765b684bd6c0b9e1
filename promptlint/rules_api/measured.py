"""Measured real-code precision per rule, and the default status it gives each prompt rule.

The numbers are data (`data/precision.toml`, written by `tests/realworld/score.py --write-precision`
from the labelled ledger), not code. As with ruff's preview rules, a prompt rule (PC100 and up) is on
by default only when at least `min-labelled` of its real-code findings are labelled and its precision
reaches `min-precision`; otherwise it is `preview`: it runs with `--preview` (or `preview = true`) or
when selected explicitly. Rules about promptlint itself (PC001-PC099: parse errors, suppressions)
are not prompt findings and keep their declared status. A rule declared preview stays preview.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from promptlint.rules_api.base import Rule, Status


@dataclass(frozen=True, slots=True)
class Measured:
    """One rule's row of the ledger: its findings on the corpus and how the labelled ones were judged."""

    findings: int
    labelled: int
    true: int
    false: int
    debatable: int
    repositories: int

    @property
    def precision(self) -> float | None:
        return self.true / self.labelled if self.labelled else None

    def describe(self) -> str:
        if not self.labelled:
            return f"unmeasured ({self.findings} unlabelled)" if self.findings else "unmeasured"
        return f"{100 * self.true / self.labelled:.0f}% ({self.true}/{self.labelled})"


@dataclass(frozen=True, slots=True)
class MeasuredTable:
    min_precision: float
    min_labelled: int
    repositories: int
    rules: Mapping[str, Measured]

    def status(self, rule: type[Rule]) -> Status:
        """The status `rule` runs with: its declared one, demoted to preview unless measured good."""
        if rule.status is not Status.STABLE or not is_prompt_rule(rule.code):
            return rule.status
        row = self.rules.get(rule.code)
        if row is None or row.labelled < self.min_labelled:
            return Status.PREVIEW
        precision = row.precision
        return Status.STABLE if precision is not None and precision >= self.min_precision else Status.PREVIEW

    def describe(self, rule: type[Rule]) -> str:
        if not is_prompt_rule(rule.code):
            return "-"
        row = self.rules.get(rule.code)
        return row.describe() if row is not None else "unmeasured"


def is_prompt_rule(code: str) -> bool:
    """PC100 and up: findings about prompts (the rest are about promptlint's own input)."""
    digits = code[2:]
    return digits.isdigit() and int(digits) >= 100


def parse_measured(data: Mapping[str, object]) -> MeasuredTable:
    policy: Mapping[str, object] = data.get("policy", {})  # type: ignore[assignment]
    corpus: Mapping[str, object] = data.get("corpus", {})  # type: ignore[assignment]
    raw_rules: Mapping[str, Mapping[str, int]] = data.get("rules", {})  # type: ignore[assignment]
    rules = {
        code: Measured(
            int(row.get("findings", 0)),
            int(row.get("labelled", 0)),
            int(row.get("true", 0)),
            int(row.get("false", 0)),
            int(row.get("debatable", 0)),
            int(row.get("repositories", 0)),
        )
        for code, row in raw_rules.items()
    }
    return MeasuredTable(
        float(policy.get("min-precision", 0.9)),  # type: ignore[arg-type]
        int(policy.get("min-labelled", 5)),  # type: ignore[call-overload]
        int(corpus.get("repositories", 0)),  # type: ignore[call-overload]
        rules,
    )


@cache
def measured() -> MeasuredTable:
    """The packaged table (read once per process; package data, not user input)."""
    text = (importlib.resources.files("promptlint") / "data" / "precision.toml").read_text("utf-8")
    return parse_measured(tomllib.loads(text))
