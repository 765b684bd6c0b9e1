"""The result cache: a warm run gives the cold run's findings from stored results, and an edit to a
file, a module it imports, a template it renders or a file that would now shadow an import re-lints
exactly the files that depend on it; a corrupt entry is survived and rewritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from promptlint.engine.cache import ResultCache
from promptlint.engine.runner import RunResult, Selection, lint_paths

POLICY = "Answer questions about our store. Be concise and polite to everyone who writes. " * 12

PROMPTS = f'import datetime\n\ndef make_text():\n    return f"Now: {{datetime.datetime.now()}}\\n{POLICY}"\n'
APP = (
    "from openai import OpenAI\nfrom prompts import make_text\n\nclient = OpenAI()\n\n"
    "def answer(question):\n"
    "    messages = [{'role': 'system', 'content': make_text()}, {'role': 'user', 'content': question}]\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
)
RENDER = (
    "import jinja2\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    "env = jinja2.Environment(loader=jinja2.FileSystemLoader('templates'))\n\n"
    "def answer(question):\n"
    "    system = env.get_template('system.j2').render()\n"
    "    messages = [{'role': 'system', 'content': system}, {'role': 'user', 'content': question}]\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
)
OTHER = "def unrelated():\n    return 1\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "prompts.py").write_text(PROMPTS)
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "other.py").write_text(OTHER)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "render.py").write_text(RENDER)
    (tmp_path / "web" / "templates").mkdir()
    (tmp_path / "web" / "templates" / "system.j2").write_text(POLICY + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(cache: ResultCache | None) -> RunResult:
    return lint_paths(["."], selection=Selection(preview=True), cache=cache)


def findings(run: RunResult) -> list[tuple[str, int, str, str]]:
    return sorted((os.path.normpath(d.path), d.span.start, d.code, d.message) for d in run.diagnostics)


def fresh(root: Path) -> ResultCache:
    return ResultCache(root / ".promptlint_cache")


def test_a_warm_run_answers_every_file_from_the_cache(project: Path) -> None:
    cold = lint(fresh(project))
    warm_cache = fresh(project)
    warm = lint(warm_cache)
    assert findings(warm) == findings(cold) == findings(lint(None))
    assert (warm_cache.hits, warm_cache.misses) == (5, 0)
    assert any(code == "PC101" for _path, _start, code, _msg in findings(warm))


def test_editing_an_imported_module_relints_its_importers_only(project: Path) -> None:
    lint(fresh(project))
    (project / "prompts.py").write_text(PROMPTS.replace("datetime.datetime.now()", "'2024'"))
    cache = fresh(project)
    run = lint(cache)
    assert cache.misses == 2  # prompts.py itself and app.py, which imports it
    assert findings(run) == findings(lint(None))
    assert not any(d.code == "PC101" for d in run.diagnostics)


def test_editing_a_rendered_template_relints_the_python_that_renders_it(project: Path) -> None:
    before = findings(lint(fresh(project)))
    (project / "web" / "templates" / "system.j2").write_text("Time: {{ now() }}\n" + POLICY + "\n")
    cache = fresh(project)
    after = findings(lint(cache))
    assert cache.misses == 2  # the template and web/render.py
    assert after == findings(lint(None)) and after != before


def test_a_new_file_that_would_shadow_an_import_invalidates(project: Path) -> None:
    # web/ask.py imports `prompts`, found at the project root (a root of the run); a web/prompts.py,
    # looked for first, would take its place.
    (project / "app.py").unlink()
    (project / "web" / "ask.py").write_text(APP)
    assert any(d.code == "PC101" for d in lint(fresh(project)).diagnostics)
    (project / "elsewhere.py").write_text("X = 1\n")  # nobody looked for it: only itself is linted
    cache = fresh(project)
    lint(cache)
    assert cache.misses == 1
    (project / "web" / "prompts.py").write_text("def make_text():\n    return 'static'\n")
    cache = fresh(project)
    run = lint(cache)
    assert cache.misses == 2  # the new module and web/ask.py, whose import now resolves to it
    assert findings(run) == findings(lint(None))
    assert not any(d.code == "PC101" for d in run.diagnostics)


def test_a_settings_change_misses(project: Path) -> None:
    lint(fresh(project))
    cache = fresh(project)
    lint_paths(["."], selection=Selection(preview=True, ignore=("PC201",)), cache=cache)
    assert cache.hits == 0


def test_a_corrupt_entry_is_ignored_and_rewritten(project: Path) -> None:
    cold = findings(lint(fresh(project)))
    entries = list((project / ".promptlint_cache").glob("*/*.json"))
    assert len(entries) == 5
    for entry, junk in zip(entries, ["", "{", "[1, 2]", '{"format": 1}', "\x00\xff"], strict=True):
        entry.write_text(junk, encoding="latin-1")
    cache = fresh(project)
    assert findings(lint(cache)) == cold and cache.misses == 5
    again = fresh(project)
    assert findings(lint(again)) == cold and again.hits == 5


def test_cli_cache_flags_and_clean(project: Path) -> None:
    command = [sys.executable, "-m", "promptlint"]
    first = subprocess.run([*command, "check", "--preview", "."], capture_output=True, text=True)
    second = subprocess.run([*command, "check", "--preview", "."], capture_output=True, text=True)
    assert first.stdout == second.stdout and first.returncode == second.returncode == 1
    cache_dir = project / ".promptlint_cache"
    assert (cache_dir / "CACHEDIR.TAG").exists() and (cache_dir / ".gitignore").read_text().endswith("*\n")
    cleaned = subprocess.run([*command, "clean"], capture_output=True, text=True)
    assert cleaned.returncode == 0 and not cache_dir.exists()
    subprocess.run([*command, "check", "--preview", "--no-cache", "."], capture_output=True, text=True)
    assert not cache_dir.exists()
    elsewhere = project / "elsewhere"
    subprocess.run(
        [*command, "check", "--preview", "--cache-dir", str(elsewhere), "."], capture_output=True, text=True
    )
    assert (elsewhere / "CACHEDIR.TAG").exists() and not cache_dir.exists()


def test_an_import_too_big_to_follow_still_caches(project: Path) -> None:
    # A module over the size bound is not followed; its importers must still be answered warm.
    (project / "huge.py").write_text("X = 1\n" + "# padding\n" * 30_000)
    (project / "user.py").write_text(
        APP.replace("from prompts import make_text", "from huge import X as make_text")
    )
    lint(fresh(project))
    cache = fresh(project)
    lint(cache)
    assert cache.misses == 0
    (project / "huge.py").write_text("X = 2\n" + "# padding\n" * 30_000)
    cache = fresh(project)
    lint(cache)
    assert cache.misses == 2  # huge.py and user.py, whose import it decides
