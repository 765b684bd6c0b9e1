"""A closure defined in a method reads the method's `self` but is no method: the first parameter of
a nested helper (`def clean(obj): ...`) takes the call's first argument."""

from __future__ import annotations

from pathlib import Path

from promptlint.engine.runner import Selection, lint_paths

APP = """from datetime import datetime

from openai import OpenAI

RULES = "Answer from the catalogue only. Quote prices with tax. Never promise delivery dates. " * 8


class Bot:
    def __init__(self) -> None:
        self.client = OpenAI()
        self.rules = RULES

    def ask(self, question: str):
        def wrap(text):
            return f"Now {datetime.now():%H:%M:%S}. {text}"

        def system():
            return self.rules

        messages = [
            {"role": "system", "content": wrap(system())},
            {"role": "user", "content": question},
        ]
        return self.client.chat.completions.create(model="gpt-4o", messages=messages)
"""


def test_a_closure_binds_its_first_parameter_and_sees_self(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(APP)
    run = lint_paths([str(tmp_path / "bot.py")], selection=Selection(select=("PC101",)))
    (found,) = [d for d in run.diagnostics if d.code == "PC101"]
    # `text` is bound to `system()`, which reads `self.rules`: the clock precedes the rules' tokens
    assert found.cache_impact is not None and found.cache_impact.tokens_after > 100
