"""Unit tests of the server's pure helpers: ignore comments, fix-all, UTF-16 ranges, lazy import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from promptlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity, Span
from promptlint.fixes import apply_edits
from promptlint.lsp.actions import fix_all_edits, ignore_edit, span_of
from promptlint.lsp.documents import DocumentLinter
from promptlint.source import FileKind, SourceFile


def _diag(text: str, culprit: str, code: str = "PC101", fix: Fix | None = None) -> Diagnostic:
    start = text.index(culprit)
    return Diagnostic(code, "x", Severity.ERROR, "m", "f", Span(start, start + len(culprit)), fix=fix)


def _ignored(text: str, kind: FileKind, culprit: str, code: str = "PC101") -> str | None:
    source = SourceFile("f", text, kind)
    edit = ignore_edit(source, _diag(text, culprit, code))
    return None if edit is None else apply_edits(text, [edit])


def test_python_ignore_appends_trailing_comment() -> None:
    text = 'x = f"{now()} rest"\ny = 1\n'
    assert (
        _ignored(text, FileKind.PYTHON, "now()")
        == 'x = f"{now()} rest"  # promptlint: ignore[PC101]\ny = 1\n'
    )


def test_python_ignore_never_lands_inside_a_multiline_string() -> None:
    text = 'def f():\n    s = f"""{now()}\n    rest"""\n'
    out = _ignored(text, FileKind.PYTHON, "now()")  # the line's end is inside the string: line before
    assert out == 'def f():\n    # promptlint: ignore[PC101]\n    s = f"""{now()}\n    rest"""\n'
    text = 'def f():\n    s = f"""\n    {now()}\n    rest"""\n'
    assert _ignored(text, FileKind.PYTHON, "now()") is None  # both places are inside the string
    text = 'def f():\n    s = (\n        f"{now()} text "\n        "more"\n    )\n'
    out = _ignored(text, FileKind.PYTHON, "now()")
    assert out is not None and '        f"{now()} text "  # promptlint: ignore[PC101]\n' in out


def test_python_ignore_extends_an_existing_comment() -> None:
    text = 'x = f"{now()}"  # promptlint: ignore[PC201]\n'
    assert _ignored(text, FileKind.PYTHON, "now()") == 'x = f"{now()}"  # promptlint: ignore[PC201, PC101]\n'
    assert _ignored('x = f"{now()}"  # promptlint: ignore[PC101]\n', FileKind.PYTHON, "now()") is None


def test_template_ignore_uses_jinja_comment_without_changing_rendered_text() -> None:
    text = "Time: {{ now }}\nStatic text\n"
    assert (
        _ignored(text, FileKind.JINJA, "{{ now }}")
        == "Time: {{ now }}{# promptlint: ignore[PC101] #}\nStatic text\n"
    )
    assert _ignored("plain {x}\n", FileKind.TEXT, "{x}") is None


def test_fix_all_takes_safe_non_overlapping_fixes() -> None:
    text = "abcdef"
    safe = Fix("drop b", Applicability.SAFE, (Edit(Span(1, 2), ""),))
    clash = Fix("drop bc", Applicability.SAFE, (Edit(Span(1, 3), ""),))
    unsafe = Fix("drop e", Applicability.UNSAFE, (Edit(Span(4, 5), ""),))
    diags = [_diag(text, "b", fix=safe), _diag(text, "bc", fix=clash), _diag(text, "e", fix=unsafe)]
    assert apply_edits(text, fix_all_edits(diags)) == "acdef"


def test_utf16_range_to_span() -> None:
    source = SourceFile("f", "a🎉b\nc", FileKind.PYTHON)
    rng = types.Range(start=types.Position(line=0, character=3), end=types.Position(line=1, character=1))
    assert span_of(source, rng) == Span(2, 5)


def test_linter_uses_language_id_for_unknown_suffixes(tmp_path: object) -> None:
    linter = DocumentLinter((str(tmp_path),))
    assert linter.lint(f"{tmp_path}/notes.yaml", "a: b\n").source is None
    outcome = linter.lint(f"{tmp_path}/untitled", "x = 1\n", language_id="python")
    assert outcome.source is not None and outcome.source.kind is FileKind.PYTHON


def test_cli_import_does_not_load_pygls() -> None:
    code = "import sys, promptlint.cli; print(any(m.split('.')[0] in ('pygls', 'lsprotocol') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_an_unsaved_buffer_never_stands_in_for_the_module_on_disk(tmp_path: object) -> None:
    """Another file importing `a` sees `a` as saved, not the buffer being edited."""
    from pathlib import Path

    root = Path(str(tmp_path))
    # `a` sends nothing itself (issue 11); as a library's it says its public prompt-named functions
    # are prompts (their callers send them), and `b` does send it.
    (root / "pyproject.toml").write_text("[tool.promptlint]\npublic-prompt-builders = true\n")
    saved = 'def system_prompt():\n    return "You are a helpful assistant. " * 30\n'
    (root / "a.py").write_text(saved, encoding="utf-8")
    b_text = (
        "from openai import OpenAI\nfrom a import system_prompt\nclient = OpenAI()\n"
        "def ask(q):\n    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        "        {'role': 'system', 'content': system_prompt()}, {'role': 'user', 'content': q}])\n"
    )
    (root / "b.py").write_text(b_text, encoding="utf-8")
    linter = DocumentLinter((str(root),))
    edited = (
        "import time\ndef system_prompt():\n"
        "    return f'Now {time.time()}. ' + 'You are a helpful assistant. ' * 30\n"
    )
    assert [d.code for d in linter.lint(str(root / "a.py"), edited, "python").diagnostics] == ["PC101"]
    assert linter.lint(str(root / "b.py"), b_text, "python").diagnostics == ()
    # Once saved, `b` does see the clock it imports: the silence above came from the disk.
    (root / "a.py").write_text(edited, encoding="utf-8")
    linter.file_saved(str(root / "a.py"))
    assert [d.code for d in linter.lint(str(root / "b.py"), b_text, "python").diagnostics] == ["PC101"]


def test_a_template_buffer_gets_the_findings_of_the_python_that_renders_it(tmp_path: Path) -> None:
    from promptlint.engine.runner import Selection, lint_paths
    from tests.engine.test_batch_consistency import CONSTANT, POLICY, RENDER

    (tmp_path / "prompts").mkdir()
    support = tmp_path / "prompts" / "support.j2"
    support.write_text("Now: {{ today }}\n" + POLICY)
    calm = tmp_path / "prompts" / "calm.j2"
    calm.write_text("Date: {{ today }}\n" + POLICY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "render.py").write_text(RENDER)
    (tmp_path / "app" / "constant.py").write_text(CONSTANT)
    (tmp_path / "promptlint.toml").write_text("preview = true\n")
    linter = DocumentLinter((str(tmp_path),))
    in_editor = linter.lint(str(support), support.read_text(), "jinja")
    assert [d.code for d in in_editor.diagnostics] == ["PC101"]
    assert linter.lint(str(calm), calm.read_text(), "jinja").diagnostics == ()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        cli = lint_paths(["prompts/support.j2"], selection=Selection(preview=True))
    finally:
        os.chdir(cwd)
    assert [(d.code, d.span, d.message) for d in cli.diagnostics] == [
        (d.code, d.span, d.message) for d in in_editor.diagnostics
    ]
    # The renderers' lint is kept between keystrokes, and redone once a file is saved.
    render = tmp_path / "app" / "render.py"
    render.write_text(RENDER.replace("datetime.datetime.now()", "'2024-01-01'"))
    assert [d.code for d in linter.lint(str(support), support.read_text(), "jinja").diagnostics] == ["PC101"]
    linter.file_saved(str(render))
    assert linter.lint(str(support), support.read_text(), "jinja").diagnostics == ()
