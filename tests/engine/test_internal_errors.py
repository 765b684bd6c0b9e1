"""A crashing rule is isolated: its results for the file are dropped, others still run, exit code 2."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from promptlint import cli as cli_module
from promptlint.config.schema import Settings
from promptlint.engine.lint import LintState, lint_source
from promptlint.engine.registry import Registry
from promptlint.engine.runner import RunResult
from promptlint.ir import Prompt
from promptlint.rules_api.base import PromptRule
from promptlint.rules_api.context import RuleContext
from promptlint.source import FileKind, decode_source

CODE = (
    "from datetime import datetime\nPOLICY = 'Answer every question about our products politely. ' * 10\n"
    "def ask(client, q):\n    return client.chat.completions.create(model='m', messages=[\n"
    "        {'role': 'system', 'content': f'{datetime.now()} ' + POLICY}, {'role': 'user', 'content': q}])\n"
)


class Crashing(PromptRule):
    code = "PC999"
    name = "crashing-rule"
    severity = Registry.load().rules[0].severity
    message = "never"

    def check(self, prompt: Prompt, ctx: RuleContext) -> None:
        raise ZeroDivisionError("boom")


def test_crashing_rule_is_isolated(state: LintState) -> None:
    crashing_state = replace(state, registry=Registry((*state.registry.rules, Crashing)), _enabled={})
    source = decode_source("app.py", CODE.encode(), FileKind.PYTHON)
    result = lint_source(source, Settings(select=("ALL",)), crashing_state)
    assert [d.code for d in result.diagnostics] == ["PC101"]
    (error,) = result.errors
    assert "PC999" in error and "ZeroDivisionError: boom" in error and "please report" in error


def test_internal_error_exits_2(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        cli_module, "lint_paths", lambda *a, **k: RunResult(files=1, errors=["internal error: x"])
    )
    result = CliRunner().invoke(cli_module.cli, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "internal error: x" in result.output
