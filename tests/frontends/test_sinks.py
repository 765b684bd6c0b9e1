"""Sinks that are not SDK calls: project wrappers across modules, the framework table and the
convention for wrappers promptlint cannot see into (`frontends/python/wrappers.py`)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

from promptlint.engine.runner import Selection, lint_paths
from promptlint.errors import ConfigError
from promptlint.frontends.python.wrappers import parse_sink_table, sink_table
from promptlint.output.report import display_path

RULES = "You plan trips for our travel desk. Follow every rule of the booking policy below. " * 10

LLM_MODULE = """
    import anthropic


    class LLM:
        def __init__(self):
            self.client = anthropic.Anthropic()

        def plan(self, system, messages):
            return self.client.messages.create(
                model="claude-sonnet-4-5", max_tokens=1024, system=system, messages=messages,
                cache_control={"type": "ephemeral"},
            )
"""


def _project(tmp_path: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")


def _lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *paths: str) -> list[Finding]:
    """(code, path, line, chain as (path, message)) of each finding, in file order."""
    monkeypatch.chdir(tmp_path)
    run = lint_paths(list(paths), selection=Selection(select=("PC1", "PC2")), jobs=1)
    assert not run.errors, run.errors
    return sorted(
        Finding(
            d.code,
            d.path,
            run.sources[d.path].lines.line_of(d.span.start) + 1,
            tuple((display_path(loc.path), loc.message) for loc in d.chain),
        )
        for d in run.diagnostics
    )


class Finding(NamedTuple):
    code: str
    path: str
    line: int
    chain: tuple[tuple[str, str], ...]


def _session(system_expr: str) -> str:
    return f"""
        from datetime import datetime
        from app.llm import LLM
        from app.prompts import RULES


        class Session:
            def __init__(self):
                self._llm = LLM()
                self._history = []

            def _system_prompt(self):
                return {system_expr}

            def turn(self, text):
                self._history.append({{"role": "user", "content": text}})
                return self._llm.plan(system=self._system_prompt(), messages=self._history)
    """


CLOCK_FIRST = 'f"Now: {datetime.now():%H:%M}\\n" + RULES'


def _app(tmp_path: Path, system_expr: str, llm: str = LLM_MODULE) -> None:
    """The app package: a wrapper module, a prompts module, and a session that sends through it."""
    _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/llm.py": llm,
            "app/prompts.py": f"RULES = {RULES!r}\n",
            "app/session.py": _session(system_expr),
        },
    )


def test_a_wrapper_in_another_module_sends_the_callers_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app(tmp_path, CLOCK_FIRST)
    diagnostics = _lint(tmp_path, monkeypatch, "app")
    assert [(d.code, d.path, d.line) for d in diagnostics] == [("PC101", "app/session.py", 13)]
    chain = diagnostics[0].chain
    assert ("app/llm.py", "sent by `plan()`") in chain
    assert chain[-1] == ("app/session.py", "the request is built here")


def test_findings_do_not_depend_on_the_other_files_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app(tmp_path, CLOCK_FIRST)
    alone = _lint(tmp_path, monkeypatch, "app/session.py")
    together = _lint(tmp_path, monkeypatch, "app/llm.py", "app/session.py", "app/prompts.py")
    assert [(d.code, d.path, d.line) for d in alone] == [(d.code, d.path, d.line) for d in together]


def test_a_static_system_prompt_through_a_wrapper_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app(tmp_path, "RULES")
    assert _lint(tmp_path, monkeypatch, "app") == []


def test_the_wrappers_own_clock_is_reported_once_in_the_wrapper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wrapper puts a clock before its own house rules: that is its file's finding, and the callers
    # (which pass only static text) do not repeat it.
    stamped = LLM_MODULE.replace(
        "system=system,", 'system=f"Now: {datetime.now():%H:%M}\\n" + HOUSE_RULES + system,'
    ).replace(
        "import anthropic",
        f"import anthropic\n    from datetime import datetime\n    HOUSE_RULES = {RULES!r}",
    )
    _app(tmp_path, "RULES", llm=stamped)
    diagnostics = _lint(tmp_path, monkeypatch, "app")
    assert [(d.code, d.path) for d in diagnostics] == [("PC101", "app/llm.py")]


def test_a_project_function_that_only_logs_is_no_sink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `chat()` is named like a model call and takes a system prompt with the conversation, but its
    # body is visible: it writes a file, so the convention does not apply.
    logging_llm = """
        import json


        class LLM:
            def plan(self, system, messages):
                with open("audit.jsonl", "a", encoding="utf-8") as out:
                    out.write(json.dumps({"system": system, "messages": messages}) + "\\n")
    """
    _app(tmp_path, CLOCK_FIRST, llm=logging_llm)
    assert _lint(tmp_path, monkeypatch, "app") == []


def test_an_unresolvable_wrapper_sends_by_convention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(
        tmp_path,
        {
            "bot.py": f"""
                from datetime import datetime
                from vendor_sdk import connect

                RULES = {RULES!r}


                def answer(history):
                    llm = connect()
                    return llm.chat(system_prompt=f"It is {{datetime.now()}}. " + RULES, history=history)


                def archive(history):
                    store = connect()
                    return store.save(system_prompt=f"It is {{datetime.now()}}. " + RULES, history=[])
            """,
        },
    )
    diagnostics = _lint(tmp_path, monkeypatch, "bot.py")
    assert [(d.code, d.line) for d in diagnostics] == [("PC101", 10)]
    assert any("a model call by its name and arguments" in message for _, message in diagnostics[0].chain)


def test_framework_callees_resolve_through_import_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(
        tmp_path,
        {
            "crew.py": f"""
                import uuid
                from crewai import Agent as CrewAgent

                RULES = {RULES!r}

                # made once per process: the same id for every request
                shared = CrewAgent(role="Planner", goal=RULES, backstory=f"Run {{uuid.uuid4()}}. " + RULES)


                def planner():
                    return CrewAgent(role="Planner", goal=RULES, backstory=f"Run {{uuid.uuid4()}}. " + RULES)


                def quiet():
                    return CrewAgent(role="Planner", goal=RULES, backstory=RULES, verbose=True)
            """,
        },
    )
    diagnostics = _lint(tmp_path, monkeypatch, "crew.py")
    assert [(d.code, d.line) for d in diagnostics] == [("PC102", 12)]
    assert any("CrewAI Agent" in message for _, message in diagnostics[0].chain)


def test_the_packaged_sink_table_is_well_formed() -> None:
    table = sink_table()
    assert table.frameworks, "the framework table is empty"
    for entry in table.frameworks:
        assert entry.callees or entry.suffixes, entry.name
        assert entry.keywords or entry.positional, entry.name
        assert set(entry.keywords.values()) | set(entry.positional.values()) <= {
            "system",
            "messages",
            "user",
            "tools",
        }
    assert table.framework("agents.Agent") is not None
    assert table.framework("agents.Runner") is None


def test_a_suffix_entry_matches_the_final_name() -> None:
    table = parse_sink_table(
        {"framework": [{"name": "Acme agent", "callees": ["*.AcmeAgent"], "system": ["persona"]}]}
    )
    entry = table.framework("acme.agents.AcmeAgent")
    assert entry is not None and entry.keywords == {"persona": "system"}
    assert table.framework("acme.agents.Other") is None


def test_config_adds_framework_sinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(
        tmp_path,
        {
            "promptlint.toml": '[[sinks]]\nname = "Acme agent"\ncallees = ["acme.Agent"]\nsystem = ["persona"]\n',
            "bot.py": f"""
                from datetime import datetime
                from acme import Agent

                RULES = {RULES!r}


                def build():
                    return Agent(persona=f"It is {{datetime.now()}}. " + RULES, name="helper")
            """,
        },
    )
    (finding,) = _lint(tmp_path, monkeypatch, "bot.py")
    assert finding.code == "PC101" and any("Acme agent" in message for _, message in finding.chain)
    (tmp_path / "promptlint.toml").write_text('[[sinks]]\ncallees = ["acme.Agent"]\npersona = ["x"]\n')
    with pytest.raises(ConfigError, match="unknown key `sinks\\[0\\].persona`"):
        _lint(tmp_path, monkeypatch, "bot.py")
