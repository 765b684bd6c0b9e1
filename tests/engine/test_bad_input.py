"""Bad input never crashes the run: PC001 at the right place, other files still linted."""

from __future__ import annotations

from pathlib import Path

from promptlint.engine.runner import lint_paths
from promptlint.source import FileKind, decode_source

GOOD = (
    "from datetime import datetime\nPOLICY = 'Always answer in formal English, cite the handbook. ' * 10\n"
    "def ask(client, q):\n    return client.chat.completions.create(model='m', messages=[\n"
    "        {'role': 'system', 'content': f'{datetime.now()} ' + POLICY}, {'role': 'user', 'content': q}])\n"
)


def test_syntax_error_and_undecodable_and_empty(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import os\n\ndef f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes(b"x = 1\ny = 'caf\xe9'\n")
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "good.py").write_text(GOOD)
    run = lint_paths([str(tmp_path)])
    found = {(Path(d.path).name, d.code): d for d in run.diagnostics}
    assert ("good.py", "PC101") in found
    assert (
        run.sources[str(tmp_path / "broken.py")].lines.position(found[("broken.py", "PC001")].span.start).line
        == 3
    )
    latin = found[("latin.py", "PC001")]
    assert "decode" in latin.message
    position = run.sources[str(tmp_path / "latin.py")].lines.position(latin.span.start)
    assert (position.line, position.column) == (2, 9)  # the \xe9 of 'caf\xe9' on line 2
    assert run.files == 4 and not run.errors


def test_missing_path_is_an_error_and_run_continues(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    run = lint_paths([str(tmp_path / "missing.py"), str(tmp_path / "good.py")])
    assert sorted((Path(d.path).name, d.code) for d in run.diagnostics) == [("good.py", "PC101")]
    assert run.errors == [f"path not found: {tmp_path / 'missing.py'}"]


def test_unreadable_file_is_pc001_and_run_continues(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")  # exists as a link, cannot be read
    run = lint_paths([str(tmp_path / "dangling.py"), str(tmp_path / "good.py")])
    codes = sorted((Path(d.path).name, d.code) for d in run.diagnostics)
    assert codes == [("dangling.py", "PC001"), ("good.py", "PC101")]


def test_crlf_and_bom_positions(tmp_path: Path) -> None:
    data = ("\ufeff" + GOOD.replace("\n", "\r\n")).encode("utf-8")
    source = decode_source("x.py", data, FileKind.PYTHON)
    assert source.bom and source.newline == "\r\n" and source.encode(source.text) == data
    (tmp_path / "crlf.py").write_bytes(data)
    run = lint_paths([str(tmp_path / "crlf.py")])
    (diag,) = run.diagnostics
    pos = run.sources[diag.path].lines.position(diag.span.start)
    assert (pos.line, run.sources[diag.path].text[diag.span.start : diag.span.end]) == (5, "datetime.now()")


def test_non_ascii_columns(tmp_path: Path) -> None:
    code = GOOD.replace("f'{datetime.now()} '", "f'Привет 👋 {datetime.now()} '")
    (tmp_path / "u.py").write_text(code, encoding="utf-8")
    run = lint_paths([str(tmp_path / "u.py")])
    (diag,) = run.diagnostics
    source = run.sources[diag.path]
    assert source.text[diag.span.start : diag.span.end] == "datetime.now()"
    line, character = source.lines.utf16_position(diag.span.start)
    assert character == source.lines.position(diag.span.start).column - 1 + 1  # the emoji is 2 UTF-16 units


def test_huge_file_is_fine(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * 200_000 + GOOD)
    run = lint_paths([str(tmp_path / "big.py")])
    assert [d.code for d in run.diagnostics] == ["PC101"]


def test_per_file_ignores_apply_to_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.promptlint]\nper-file-ignores = { "dangling.py" = ["PC001"] }\n'
    )
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    run = lint_paths([str(tmp_path / "dangling.py")])
    assert run.diagnostics == [] and not run.errors


def test_a_project_template_is_not_a_parse_error(tmp_path: Path) -> None:
    # crewAI-style scaffolding: Python once rendered; a real syntax error next to it is still PC001.
    (tmp_path / "crew.py").write_text(
        "from {{folder_name}}.tools import Tool\n\nclass {{ crew_name }}:\n    pass\n"
    )
    (tmp_path / "broken.py").write_text('GREETING = f"{{name}}"\n\ndef f(:\n    pass\n')
    run = lint_paths([str(tmp_path)])
    assert sorted((Path(d.path).name, d.code) for d in run.diagnostics) == [("broken.py", "PC001")]
