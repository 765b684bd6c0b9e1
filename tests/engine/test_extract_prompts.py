"""`extract_prompts(..., only=...)`: just the named files are parsed, with the project's roots."""

from __future__ import annotations

import os
from pathlib import Path

from promptlint.engine.runner import extract_prompts
from promptlint.ir import Text

CONSTANTS = 'SYSTEM = "You answer billing questions for Globex and quote the invoice number."\n'
APP = """from openai import OpenAI
from texts import SYSTEM

client = OpenAI()


def ask(q: str) -> str:
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]
    ).choices[0].message.content
"""
OTHER = """from openai import OpenAI

OpenAI().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
"""


def test_only_the_named_files_with_imports_resolved(tmp_path: Path) -> None:
    (tmp_path / "texts.py").write_text(CONSTANTS)
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "other.py").write_text(OTHER)
    every = extract_prompts([str(tmp_path)])
    assert {Path(source.path).name for source, _ in every} == {"app.py", "other.py"}
    only = extract_prompts([str(tmp_path)], only={os.path.abspath(tmp_path / "app.py")})
    assert [Path(source.path).name for source, _ in only] == ["app.py"]
    (_, prompt), *_ = only
    texts = "".join(seg.text for _, _, seg in prompt.walk() if isinstance(seg, Text))
    assert "quote the invoice number" in texts  # the imported constant, read under the same roots
