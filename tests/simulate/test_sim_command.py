"""`promptlint simulate` from the command line: a prompt the provider would reject is a table row with
the reason, and the other prompts are still simulated (it used to end the run with a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from promptlint.cli import cli

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


def test_a_rejected_prompt_is_reported_and_the_others_go_on() -> None:
    result = CliRunner().invoke(cli, ["simulate", str(DEMO / "summariser.py"), "-n", "5"])
    assert result.exception is None and result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "summariser.py:" in line]
    assert any(" rejected " in row for row in rows)
    assert sum(" as written " in row for row in rows) == 2
    assert "cache_control breakpoints; the API accepts 4" in result.output


def test_rejected_prompts_in_json() -> None:
    result = CliRunner().invoke(
        cli, ["simulate", str(DEMO / "summariser.py"), "-n", "5", "--output-format", "json"]
    )
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    rejected = [e for e in entries if "rejected" in e]
    assert len(rejected) == 1 and "breakpoints" in rejected[0]["rejected"]
    assert len(entries) - len(rejected) == 2


def test_the_whole_demo_simulates() -> None:
    result = CliRunner().invoke(cli, ["simulate", str(DEMO), "-n", "3"])
    assert result.exception is None and result.exit_code == 0
