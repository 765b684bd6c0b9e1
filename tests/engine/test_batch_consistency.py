"""A file's findings do not depend on the batch it is linted in: a whole run, pre-commit-like
batches and single files give the same findings for the same code (templates included: the Python
that renders a template is found and read whatever the batch)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from promptlint.engine.runner import Selection, lint_paths

POLICY = "You are a support assistant for ACME. Follow the policy and always be polite to everyone.\n" * 20
RENDER = (
    "import datetime\nimport jinja2\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    "env = jinja2.Environment(loader=jinja2.FileSystemLoader('prompts'))\n\n"
    "def answer(question):\n"
    "    system = env.get_template('support.j2').render(today=datetime.datetime.now(), policy='x')\n"
    "    messages = [{'role': 'system', 'content': system}, {'role': 'user', 'content': question}]\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
)
CONSTANT = (
    "import jinja2\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    "env = jinja2.Environment(loader=jinja2.FileSystemLoader('prompts'))\n\n"
    "def answer(question):\n"
    "    system = env.get_template('calm.j2').render(today='2024-01-01')\n"
    "    messages = [{'role': 'system', 'content': system}, {'role': 'user', 'content': question}]\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "support.j2").write_text("Now: {{ today }}\n" + POLICY)
    (tmp_path / "prompts" / "calm.j2").write_text("Date: {{ today }}\n" + POLICY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "render.py").write_text(RENDER)
    (tmp_path / "app" / "constant.py").write_text(CONSTANT)
    (tmp_path / "promptlint.toml").write_text("preview = true\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(paths: list[str]) -> set[tuple[str, int, str, str]]:
    run = lint_paths(paths, selection=Selection(preview=True))
    return {(os.path.normpath(d.path), d.span.start, d.code, d.message) for d in run.diagnostics}


FILES = ["app/render.py", "app/constant.py", "prompts/support.j2", "prompts/calm.j2"]


def test_whole_run_batches_and_single_files_agree(project: Path) -> None:
    whole = findings(["."])
    assert any(path == os.path.normpath("prompts/support.j2") for path, *_ in whole)

    def within(batch: list[str]) -> set[tuple[str, int, str, str]]:
        keep = {os.path.normpath(p) for p in batch}
        return {f for f in whole if f[0] in keep}

    # Each batch reports everything the whole run reports on its files, and nothing the whole run
    # does not (a finding a Python file causes may be placed in the template it renders).
    for batch in (["prompts/support.j2", "app/constant.py"], ["prompts/calm.j2", "app/render.py"]):
        got = findings(batch)
        assert within(batch) <= got <= whole, batch
    for path in FILES:
        got = findings([path])
        assert within([path]) <= got <= whole, path


def test_a_template_alone_gets_the_renderers_findings(project: Path) -> None:
    alone = findings(["prompts/support.j2"])
    assert {code for _path, _start, code, _msg in alone} == {"PC101"}
    # rendered with a constant date elsewhere: no by-name guess about `today`
    assert findings(["prompts/calm.j2"]) == set()


def test_a_long_import_chain_gives_the_same_findings_alone_and_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clock is eight modules away from one sender and four from another; which modules a run
    # has already parsed for other files must not change what each file reports.
    pkg = tmp_path / "chain"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "m7.py").write_text(
        "import datetime\n\n\ndef stamp():\n    return datetime.datetime.now().isoformat()\n"
    )
    for i in range(7):
        (pkg / f"m{i}.py").write_text(
            f"from chain import m{i + 1}\n\n\ndef stamp():\n    return m{i + 1}.stamp()\n"
        )
    sender = (
        "from openai import OpenAI\n\nfrom chain import {mod}\n\nclient = OpenAI()\nPOLICY = {policy!r}\n\n\n"
        "def answer(question):\n"
        "    system = f'Now {{{mod}.stamp()}}. ' + POLICY\n"
        "    messages = [{{'role': 'system', 'content': system}}, {{'role': 'user', 'content': question}}]\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
    )
    (tmp_path / "far.py").write_text(sender.format(mod="m0", policy=POLICY))
    (tmp_path / "near.py").write_text(sender.format(mod="m4", policy=POLICY))
    monkeypatch.chdir(tmp_path)
    whole = findings(["."])
    for name in ("far.py", "near.py"):
        alone = findings([name])
        assert alone == {f for f in whole if f[0] == name}, name
    assert any(f[0] == "near.py" and f[2] == "PC101" for f in whole)
