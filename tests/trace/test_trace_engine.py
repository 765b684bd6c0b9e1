"""End-to-end with the real lint engine: `trace --source` and `simulate` on a source tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlint.simulate.command import simulate
from promptlint.trace.command import trace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "trace"

APP = """import datetime
from openai import OpenAI

client = OpenAI()
POLICY = "cite the order number, never promise refunds above the documented limit, and escalate\\n" * 120


def answer(question: str) -> str:
    now = datetime.datetime.now().isoformat()
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": f"Current time: {now}\\n{POLICY}"},
            {"role": "user", "content": question},
        ],
    )
    return resp.choices[0].message.content
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def test_trace_source_attaches_pc101(app: Path) -> None:
    result = CliRunner().invoke(
        trace,
        [str(FIXTURES / "openai_chat_timestamp.jsonl"), "--source", str(app), "--output-format", "json"],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    codes = {f["code"] for f in events[0]["findings"]}
    assert codes == {"PC101"}
    assert events[0]["findings"][0]["location"].endswith("app.py:9:11")


def test_simulate_on_source_tree(app: Path) -> None:
    result = CliRunner().invoke(simulate, [str(app), "-n", "30", "--output-format", "json"])
    assert result.exit_code == 0, result.output
    (comp,) = json.loads(result.output)
    assert comp["prompt"].endswith("app.py:10:12")
    assert comp["before"]["hit_ratio"] < 0.05 < 0.8 < comp["after"]["hit_ratio"]
