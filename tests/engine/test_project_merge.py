"""Across files: the culprit's own report absorbs the reports of other files and keeps the longest
evidence chain (the one that reaches the request), whatever the batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlint.engine.runner import Selection, lint_paths

CLOCK = """import time

RULES = "Speak plainly, cite the catalogue, quote prices with tax, and ask before ordering. " * 20


def stamp():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


class Instructions:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def read_instruction(self) -> str:
        return f"Now={stamp()}\\n{RULES}"
"""

SENDER = """from openai import OpenAI

from shop.instruction import Instructions

client = OpenAI()


def answer(uid: str, question: str):
    system_prompt = Instructions(user_id=uid).read_instruction()
    messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": question}]
    return client.chat.completions.create(model="gpt-4o", messages=messages)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "instruction.py").write_text(CLOCK)
    (tmp_path / "shop" / "sender.py").write_text(SENDER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _pc101(paths: list[str]) -> list[tuple[str, int, tuple[str, ...]]]:
    run = lint_paths(paths, selection=Selection(select=("PC101",)))
    return [
        (Path(d.path).name, d.span.start, tuple(Path(step.path).name for step in d.chain))
        for d in run.diagnostics
        if d.code == "PC101"
    ]


def test_a_culprit_in_a_module_that_sends_nothing_is_reported_at_the_request(project: Path) -> None:
    # `instruction.py` names no LLM API: its builder is a prompt only through the caller that sends
    # it (issue 11), and that report carries the chain from the clock to the request.
    (found,) = _pc101(["shop"])
    name, _, chain = found
    assert name == "sender.py"
    assert chain[0] == "instruction.py" and chain[-1] == "sender.py"  # the clock, ..., the request


def test_the_culprit_keeps_the_chain_that_reaches_the_request(project: Path) -> None:
    # A library that says its builders are prompts (`public-prompt-builders`) gets the report in the
    # culprit's file, and it absorbs the sender's, keeping the chain that reaches the request.
    (project / "pyproject.toml").write_text("[tool.promptlint]\npublic-prompt-builders = true\n")
    (found,) = _pc101(["shop"])
    name, _, chain = found
    assert name == "instruction.py"
    assert chain[0] == "instruction.py" and chain[-1] == "sender.py"  # the clock, ..., the request


def test_the_sender_alone_reports_the_same_chain(project: Path) -> None:
    (alone,) = _pc101(["shop/sender.py"])
    (together,) = _pc101(["shop"])
    assert alone[2] == together[2]


OWN_REQUEST = (
    CLOCK
    + """

from openai import OpenAI

client = OpenAI()


def own(question: str):
    system = Instructions("u").read_instruction() + RULES * 3
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return client.chat.completions.create(model="gpt-4o", messages=messages)
"""
)


def test_a_longer_chain_to_a_smaller_request_does_not_replace_the_culprits_own_report(project: Path) -> None:
    (project / "shop" / "instruction.py").write_text(OWN_REQUEST)
    alone = lint_paths(["shop/instruction.py"], selection=Selection(select=("PC101",))).diagnostics
    together = lint_paths(["shop"], selection=Selection(select=("PC101",))).diagnostics
    mine = [d for d in together if d.path.endswith("instruction.py")]
    assert alone and mine and alone[0].cache_impact is not None and mine[0].cache_impact is not None
    assert mine[0].cache_impact.tokens_after >= alone[0].cache_impact.tokens_after
