"""Rule base classes and the examples every rule carries.

A rule is a stateless class with a code, a kebab-case name, a severity, a message template and bad/good
examples. `PromptRule.check` reads one `Prompt`; `FactsRule.check_facts` reads a file's code-shape facts;
`EngineRule`s are reported by the engine itself (parse errors, suppressions) and exist for docs and
selection.
"""

from __future__ import annotations

import enum
import inspect
import string
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from promptlint.diagnostics import Severity
from promptlint.ir import FileFacts, Prompt
from promptlint.project import docs

if TYPE_CHECKING:
    from promptlint.rules_api.context import RuleContext


class FixAvailability(enum.StrEnum):
    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NONE = "none"


class Status(enum.StrEnum):
    PREVIEW = "preview"
    STABLE = "stable"
    DEPRECATED = "deprecated"


@dataclass(frozen=True, slots=True)
class Example:
    """A snippet documenting a rule; the test-suite runs every one.

    A bad example must produce at least one diagnostic of its rule (exactly `count` if given); a good one
    none. `fixed` is the text after applying the rule's fixes. `filename` picks the frontend.
    """

    code: str
    kind: Literal["bad", "good"]
    fixed: str | None = None
    count: int | None = None
    filename: str = "example.py"

    @classmethod
    def bad(
        cls, code: str, *, fixed: str | None = None, count: int | None = None, filename: str = "example.py"
    ) -> Example:
        return cls(code, "bad", fixed, count, filename)

    @classmethod
    def good(cls, code: str, *, filename: str = "example.py") -> Example:
        return cls(code, "good", None, None, filename)

    @property
    def lang(self) -> str:
        suffix = self.filename.rsplit(".", 1)[-1]
        return {"py": "python", "j2": "jinja", "jinja": "jinja", "jinja2": "jinja", "prompty": "yaml"}.get(
            suffix, "text"
        )


class Rule:
    """Base of every rule. Subclasses set the class attributes; instances hold no state."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    message: ClassVar[str]
    examples: ClassVar[tuple[Example, ...]] = ()
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    status: ClassVar[Status] = Status.STABLE
    recommended: ClassVar[bool] = True
    tags: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def documentation(cls) -> str:
        """The rule's docs: its class docstring, else its module's docstring."""
        own = cls.__dict__.get("__doc__")
        if own:
            return inspect.cleandoc(own)
        module = sys.modules.get(cls.__module__)
        return inspect.cleandoc(module.__doc__ or "") if module else ""

    @classmethod
    def summary(cls) -> str:
        return cls.documentation().split("\n", 1)[0].strip()

    @classmethod
    def placeholders(cls) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(cls.message) if field}

    @classmethod
    def family(cls) -> str:
        return cls.code[:3]


class PromptRule(Rule):
    """A rule over the prompt IR: called once per prompt found in a file."""

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        raise NotImplementedError


class FactsRule(Rule):
    """A rule over a file's code-shape facts (headers, history operations)."""

    def check_facts(self, facts: FileFacts, ctx: RuleContext) -> None:
        raise NotImplementedError


class EngineRule(Rule):
    """A rule the engine reports itself (parse errors, suppression problems)."""


def rule_url(rule: type[Rule]) -> str:
    """The documentation URL of a rule (its row in the README's rule table)."""
    return docs(f"{rule.code.lower()}-{rule.name}")
