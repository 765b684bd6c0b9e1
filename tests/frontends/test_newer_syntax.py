"""Python 3.12-3.14 syntax is analysed on any interpreter; only really broken files get PC001."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from promptlint.engine.fixer import parses
from promptlint.engine.runner import lint_paths
from promptlint.frontends.python.parse import parse_python
from promptlint.source import FileKind

POLICY = "Refunds are accepted within 30 days with a receipt; store credit is offered otherwise. " * 8

NEWER = {
    "pep695_alias": "type Row = dict[str, str]\n",
    "pep695_generic_function": "def first[T](items: list[T]) -> T:\n    return items[0]\n",
    "pep695_generic_class": "class Box[T]:\n    value: T\n",
    "pep696_default": "def pick[T = int](x: T) -> T:\n    return x\n",
    "pep701_same_quotes": 'label = f"{row["name"]}"\n',
    "pep701_backslash": "joined = f\"{'\\n'.join(lines)}\"\n",
    "pep701_nested": "deep = f'{f'{a}'} and {b['c']}'\n",
    "pep701_multiline": 'multi = f"{\n    value\n}"\n',
    "pep750_tstring": 'greeting = t"hi {name}"\n',
}


@pytest.mark.parametrize("code", list(NEWER.values()), ids=list(NEWER))
def test_newer_syntax_parses_and_keeps_its_lines(code: str) -> None:
    parsed = parse_python("x = 1\n" + code + "y = 2\n")
    assert isinstance(parsed.tree, ast.Module)
    last = parsed.tree.body[-1]
    assert isinstance(last, ast.Assign) and last.lineno == code.count("\n") + 2  # lines are exact
    assert parses("x = 1\n" + code, FileKind.PYTHON)  # --fix's safety check accepts it too


@pytest.mark.parametrize("code", ["x = (", "def f(:\n    pass\n", 'f"{x"\n', "print(a b)\n"])
def test_broken_code_still_raises(code: str) -> None:
    with pytest.raises(SyntaxError):
        parse_python(code)


def test_a_repeated_keyword_is_not_valid_for_the_fix_check() -> None:
    assert not parses("f(a=1, a=2)\n", FileKind.PYTHON)


def test_findings_in_a_newer_syntax_file_and_pc001_only_for_the_broken_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("app.py").write_text(
        textwrap.dedent(
            f"""\
            from datetime import datetime
            from openai import OpenAI

            client = OpenAI()
            POLICY = {POLICY!r}
            type Messages = list[dict[str, str]]

            def ask[T](q: T) -> object:
                system = f"Today is {{datetime.now().strftime("%H:%M")}}. " + POLICY
                return client.chat.completions.create(model="gpt-4o", messages=[
                    {{"role": "system", "content": system}}, {{"role": "user", "content": q}}])
            """
        )
    )
    Path("broken.py").write_text("def f(:\n    pass\n")
    diagnostics = lint_paths(["app.py", "broken.py"], jobs=1).diagnostics
    found = sorted((d.path, d.code, d.span.start > 0) for d in diagnostics)
    assert [(p, c) for p, c, _ in found] == [("app.py", "PC101"), ("broken.py", "PC001")]
    clock = next(d for d in diagnostics if d.code == "PC101")
    assert clock.fix is None  # positions on a rewritten line are approximate: no edits offered there
