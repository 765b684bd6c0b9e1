"""Load rule files by path and index them by code and name.

Built-in rules live in the repository's `rules/` directory, shipped in the wheel as
`promptlint/builtin_rules/`; `builtin_rules_dir()` is the only place that knows both locations. Rule
files are loaded as modules `promptlint._rules.<stem>` with the same loader that users' local rule
directories use.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from promptlint.errors import RuleLoadError
from promptlint.rules_api.base import EngineRule, Rule

_MODULE_PREFIX = "promptlint._rules"


def builtin_rules_dir() -> Path:
    """`promptlint/builtin_rules` in an installed wheel, else the checkout's `rules/`."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "builtin_rules"
    if installed.is_dir():
        return installed
    return package.parent / "rules"


def _rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.py") if not p.name.startswith("_"))


def _load_file(path: Path) -> list[type[Rule]]:
    name = f"{_MODULE_PREFIX}.{path.stem}"
    module = sys.modules.get(name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise RuleLoadError(f"{path}: cannot load rule file", hint="is it a Python file?")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise RuleLoadError(f"{path}: {type(exc).__name__}: {exc}", hint="fix the rule file") from None
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Rule)
        and obj.__module__ == name
        and "code" in obj.__dict__
    ]
    if not found:
        raise RuleLoadError(f"{path}: defines no rule class with a `code`", hint="one rule class per file")
    return found


@dataclass(frozen=True)
class Registry:
    """All known rules, in code order."""

    rules: tuple[type[Rule], ...]

    @classmethod
    def load(cls, directories: Iterable[Path] = ()) -> Registry:
        """Load the built-in rules plus any extra rule directories.

        Raises:
            RuleLoadError: a file fails to load, or two rules share a code or a name.
        """
        rules: list[type[Rule]] = []
        origin: dict[str, Path] = {}
        for directory in (builtin_rules_dir(), *directories):
            for path in _rule_files(directory):
                for rule in _load_file(path):
                    for key in (rule.code, rule.name):
                        if key in origin:
                            raise RuleLoadError(
                                f"duplicate rule {key!r} in {path} and {origin[key]}",
                                hint="codes and names must be unique",
                            )
                        origin[key] = path
                    rules.append(rule)
        return cls(tuple(sorted(rules, key=lambda r: r.code)))

    def by_code(self, code: str) -> type[Rule] | None:
        for rule in self.rules:
            if rule.code == code or rule.name == code:
                return rule
        return None

    def source_file(self, rule: type[Rule]) -> str:
        module = sys.modules.get(rule.__module__)
        return os.path.relpath(getattr(module, "__file__", "") or "")

    def checkers(self) -> tuple[type[Rule], ...]:
        return tuple(r for r in self.rules if not issubclass(r, EngineRule))
