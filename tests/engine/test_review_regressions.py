"""Regression tests for bugs found in an independent review (each once let a fix break or lose code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from promptlint.engine.fixing import apply_fixes
from promptlint.engine.runner import Selection, lint_paths

EXE = str(Path(sys.executable).parent / "promptlint")
RULES = "Only answer questions about the listed skills and say so when you cannot. " * 8


def fix(tmp_path: Path, name: str, code: str, unsafe: bool = True) -> str:
    path = tmp_path / name
    path.write_text(code)
    run = lint_paths([str(path)])
    apply_fixes(run, [str(path)], None, Selection(), unsafe=unsafe, write=True)
    text = path.read_text()
    compile(text, name, "exec")
    return text


def test_sort_keys_false_is_flipped_not_repeated(tmp_path: Path) -> None:
    # The keys come from a set (evidence for PC301); `load()` alone is of unknown origin and, under
    # the evidence rule (issue 11), is never reported, so its `sort_keys=False` is left as written.
    code = (
        f"import json\nfrom openai import OpenAI\nclient = OpenAI()\nRULES = {RULES!r}\n"
        "SKILLS = {'refunds', 'shipping'}\n"
        "def ask(q, load):\n    limits = {s: load(s) for s in SKILLS}\n"
        "    return client.chat.completions.create(model='m', messages=[\n"
        "        {'role': 'system', 'content': json.dumps(limits, sort_keys=False) + RULES},\n"
        "        {'role': 'user', 'content': q}])\n"
    )
    fixed = fix(tmp_path, "a.py", code)
    assert "json.dumps(limits, sort_keys=True)" in fixed and "sort_keys=False" not in fixed
    unknown = code.replace("json.dumps(limits, sort_keys=False)", "json.dumps(load(), sort_keys=False)")
    assert fix(tmp_path, "b.py", unknown) == unknown


def test_header_removal_never_merges_with_a_spread(tmp_path: Path) -> None:
    code = (
        "from openai import OpenAI\nclient = OpenAI()\n"
        "def ask(q, extra):\n    return client.chat.completions.create(model='m', messages=[],\n"
        "        extra_headers={'A': '1', 'X-Cache-Enable': '1', **extra})\n"
    )
    assert "extra_headers={'A': '1', 'X-Cache-Enable': '1', **extra}" in fix(tmp_path, "b.py", code)


def test_other_headers_are_kept_when_an_entry_is_not_a_literal(tmp_path: Path) -> None:
    code = (
        "from openai import OpenAI\nAUTH = 'Authorization'\nclient = OpenAI()\n"
        "def ask(tok):\n    return client.chat.completions.create(model='m', messages=[],\n"
        "        extra_headers={AUTH: tok, 'X-Cache-Enable': '1'})\n"
    )
    assert "extra_headers={AUTH: tok}" in fix(tmp_path, "c.py", code).replace(", }", "}")


def test_plain_http_code_is_left_alone(tmp_path: Path) -> None:
    code = "import requests\npage = requests.get('https://example.com', headers={'X-Cache-Bypass': '1'}, timeout=5)\n"
    (tmp_path / "d.py").write_text(code)
    assert lint_paths([str(tmp_path / "d.py")]).diagnostics == []


def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    code = "from openai import OpenAI\nclient = OpenAI()\nclient.chat.completions.create(model='m', messages=[], extra_headers={'X-Cache-Enable': '1'})\n"
    target = tmp_path / "real.py"
    target.write_text(code)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    run = lint_paths([str(link)])
    apply_fixes(run, [str(link)], None, Selection(), unsafe=False, write=True)
    assert link.is_symlink() and "X-Cache" not in target.read_text()


def test_stdin_fix_echoes_the_file_even_when_nothing_changes(tmp_path: Path) -> None:
    data = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")
    proc = subprocess.run(
        [EXE, "check", "-", "--stdin-filename", "x.py", "--fix"],
        input=data,
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout == data


def test_diff_exit_code_follows_real_changes(tmp_path: Path) -> None:
    (tmp_path / "e.py").write_text("x = 1\n")
    proc = subprocess.run(
        [EXE, "check", "--diff", "e.py"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == ""


def test_missing_path_is_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([EXE, "check", "nope.py"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "path not found: nope.py" in proc.stderr


def test_set_operations_keep_their_sets(tmp_path: Path) -> None:
    code = (
        f"from openai import OpenAI\nclient = OpenAI()\nRULES = {RULES!r}\n"
        "def ask(q, a, b):\n    s = set(a) | set(b)\n"
        "    return client.chat.completions.create(model='m', messages=[\n"
        "        {'role': 'system', 'content': ', '.join(s) + RULES}, {'role': 'user', 'content': q}])\n"
    )
    fixed = fix(tmp_path, "f.py", code)
    assert "s = set(a) | set(b)" in fixed and "', '.join(sorted(s))" in fixed


def test_symlinked_tree_loops_and_deep_chains_do_not_crash(tmp_path: Path) -> None:
    lines = ["import time", "x0 = str(time.time())"] + [f"x{i} = x{i - 1} + 'a'" for i in range(1, 300)]
    (tmp_path / "chain.py").write_text("\n".join(lines) + "\nSYSTEM_PROMPT = x299 + 'rules ' * 100\n")
    os.symlink(tmp_path, tmp_path / "loop")
    run = lint_paths([str(tmp_path)])
    assert not run.errors
