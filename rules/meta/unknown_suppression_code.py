"""Suppression comment naming a rule that does not exist.

## What it does
Flags codes in `# promptlint: ignore[...]` (or `{# promptlint: ignore[...] #}`) that are not promptlint
rule codes or names.

## Why is this bad?
A typo in a suppression suppresses nothing, so the finding it meant to silence is still reported, or
the comment silently outlives the rule it named.
"""

from promptlint.api import EngineRule, Example, Severity


class UnknownSuppressionCode(EngineRule):
    code = "PC003"
    name = "unknown-suppression-code"
    severity = Severity.WARNING
    message = "Unknown rule `{suppressed}` in suppression comment"
    examples = (
        Example.bad('SYSTEM = "You are helpful"  # promptlint: ignore[PC999]\n'),
        Example.good('SYSTEM = "You are helpful"\n'),
    )
