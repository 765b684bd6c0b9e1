"""The unsafe PC101/PC102 fix moves the value out without leaving a stray line break where it was
(issue 13: the value's line opening the text and followed by a blank line left that blank line
opening the text, `f"\\n{RULES}"`)."""

from __future__ import annotations

import ast

import pytest

from promptlint.config.schema import Settings
from promptlint.engine.fixer import fix_source
from promptlint.engine.runner import new_state
from promptlint.source import FileKind, decode_source

HEAD = (
    "import uuid\nfrom datetime import datetime\n\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    "RULES = 'Be kind. Answer from the docs. Cite sources. Never guess prices or dates. ' * 20\n\n\n"
    "def ask(question):\n"
)
SEND = (
    "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
    "        {'role': 'system', 'content': system}, {'role': 'user', 'content': question}])\n"
)
SHAPES = {
    "first line": "    system = f'Current time: {datetime.now()}\\n{RULES}'\n",
    "triple-quoted first line": "    system = f'''Current time: {datetime.now()}\n{RULES}'''\n",
    "middle line": "    system = f'You are Ada.\\nRequest {uuid.uuid4()}\\n{RULES}'\n",
    "own line before a blank line": "    system = f'Now: {datetime.now()}\\n\\n{RULES}'\n",
    "triple-quoted, before a blank line": "    system = f'''Now: {datetime.now()}\n\n{RULES}'''\n",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_moved_value_leaves_no_stray_line_break(shape: str) -> None:
    text = HEAD + SHAPES[shape] + SEND
    source = decode_source("app.py", text.encode(), FileKind.PYTHON)
    outcome = fix_source(source, Settings(select=("PC101", "PC102")), new_state(), unsafe=True)
    assert outcome.text != text, "the unsafe fix applies"
    tree = ast.parse(outcome.text)
    system = next(
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "system"
    )
    pieces = [v.value for v in ast.walk(system) if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    assert not any(p.startswith("\n") for p in pieces[:1]), pieces  # the system text does not open on a break
