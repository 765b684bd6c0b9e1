"""Which rules run for a file: select / extend-select / ignore / per-file-ignores.

Selectors are codes (`PC101`), prefixes (`PC1`, `PC`), names (`volatile-time-in-prefix`) or `ALL`.
The most specific selector wins, as in ruff. Preview rules (measured below the precision bar on the
real-code ledger) are not in the default set; `preview = true` / `--preview` adds them, and naming a
preview rule's code or prefix in `select` always runs it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable

from promptlint.config.schema import Settings
from promptlint.errors import UsageError
from promptlint.rules_api.base import Rule, Status
from promptlint.rules_api.measured import measured


def _specificity(selector: str, rule: type[Rule]) -> int | None:
    """How specifically `selector` names `rule` (higher wins), or None if it does not match."""
    if selector == "ALL":
        return 0
    if selector == rule.name or selector == rule.code:
        return 10
    if rule.code.startswith(selector):
        return len(selector)
    return None


def validate_selectors(selectors: Iterable[str], rules: tuple[type[Rule], ...], where: str) -> None:
    for selector in selectors:
        if not any(_specificity(selector, r) is not None for r in rules):
            raise UsageError(
                f"{where}: unknown rule selector `{selector}`",
                hint="run `promptlint rules` for the list of codes and names",
            )


def status(rule: type[Rule]) -> Status:
    """The status a rule runs with: preview unless its real-code precision is measured good."""
    return measured().status(rule)


def enabled_rules(settings: Settings, rules: tuple[type[Rule], ...], path: str) -> tuple[type[Rule], ...]:
    """The rules that run on `path` under `settings`."""
    ignores = list(settings.ignore) + per_file_ignores(settings, path)
    out = []
    for rule in rules:
        if settings.select is None:
            # The default selection is as unspecific as `ALL`, so any ignore (even a prefix) wins over it.
            chosen = (
                [0] if rule.recommended and (status(rule) is not Status.PREVIEW or settings.preview) else []
            )
        else:
            chosen = [s for s in (_specificity(x, rule) for x in settings.select) if s is not None]
        chosen += [s for s in (_specificity(x, rule) for x in settings.extend_select) if s is not None]
        pick = max(chosen, default=None)
        drop = max((s for s in (_specificity(x, rule) for x in ignores) if s is not None), default=None)
        if pick is not None and (drop is None or pick > drop):
            out.append(rule)
    return tuple(out)


def per_file_ignores(settings: Settings, path: str) -> list[str]:
    """Codes that `per-file-ignores` switches off for `path`."""
    if not settings.per_file_ignores:
        return []
    rel = os.path.relpath(os.path.abspath(path), settings.root).replace(os.sep, "/")
    codes: list[str] = []
    for pattern, ignored in settings.per_file_ignores:
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern):
            codes.extend(ignored)
    return codes
