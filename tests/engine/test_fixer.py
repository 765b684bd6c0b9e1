"""The fixer: safe/unsafe selection, re-lint until stable, rollback, byte-faithful atomic writes."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlint.config.schema import Settings
from promptlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity, Span
from promptlint.engine import fixer
from promptlint.engine.fixer import fix_source, parses, write_atomic
from promptlint.engine.lint import FileResult, LintState
from promptlint.source import FileKind, decode_source

# `limits` takes its key order from the set SKILLS: evidence for PC301. `load()` is a dict of unknown
# origin (its insertion order is deterministic), so under the evidence rule (issue 11) its dump is
# left alone even by the unsafe fixes.
APP = (
    "import json\nfrom openai import OpenAI\nSKILLS = {'refunds', 'shipping'}\n"
    "POLICY = 'Answer questions about our store. Be concise and polite to everyone. ' * 10\n"
    "client = OpenAI()\n"
    "def ask(question, load):\n"
    "    limits = {skill: load(skill) for skill in SKILLS}\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
    "        {'role': 'system', 'content': ', '.join(SKILLS) + json.dumps(limits) + json.dumps(load())\n"
    "            + POLICY},\n"
    "        {'role': 'user', 'content': question}],\n"
    "        extra_headers={'X-Cache-Enable': 'true', 'X-Request-ID': 'r'})\n"
)
ALL = Settings(select=("ALL",))


def source_of(text: str, newline: str = "\n", bom: bool = False, path: str = "app.py"):  # type: ignore[no-untyped-def]
    data = text.replace("\n", newline).encode()
    return decode_source(path, (b"\xef\xbb\xbf" if bom else b"") + data, FileKind.PYTHON)


def test_safe_only_then_unsafe(state: LintState) -> None:
    safe = fix_source(source_of(APP), ALL, state, unsafe=False)
    assert "X-Cache-Enable" not in safe.text and "'X-Request-ID': 'r'" in safe.text
    assert "sorted(" not in safe.text and safe.applied == 1
    everything = fix_source(source_of(APP), ALL, state, unsafe=True)
    assert (
        "', '.join(sorted(SKILLS))" in everything.text
        and "json.dumps(limits, sort_keys=True)" in everything.text
        and "json.dumps(load())\n" in everything.text
    )
    assert everything.applied == 3
    ast.parse(everything.text)


def test_crlf_and_bom_survive(state: LintState, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    source = source_of(APP, newline="\r\n", bom=True, path=str(path))
    path.write_bytes(source.encode(source.text))
    os.chmod(path, 0o751)
    outcome = fix_source(source, ALL, state, unsafe=True)
    write_atomic(source, outcome.text)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".promptlint-")]


def _diag(path: str, span: Span, fix: Fix) -> Diagnostic:
    """A PC501 diagnostic carrying `fix`, for tests that feed the fixer hand-made findings."""
    return Diagnostic("PC501", "noop-cache-header", Severity.WARNING, "m", path, span, fix)


def test_a_fix_that_breaks_parsing_is_rolled_back(state: LintState, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = source_of("x = 1\n")
    bad = _diag(source.path, Span(0, 1), Fix("break it", Applicability.SAFE, (Edit(Span(0, 5), "x = ("),)))
    monkeypatch.setattr(fixer, "lint_source", lambda *a, **k: FileResult(source.path, [bad]))
    outcome = fix_source(source, ALL, state, unsafe=False)
    assert (
        outcome.text == "x = 1\n"
        and outcome.warning
        and "would not parse or not encode: break it" in outcome.warning
    )


def test_only_the_breaking_fix_is_set_aside(state: LintState, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = source_of("x = 1\ny = 2\n")
    good = _diag(source.path, Span(6, 7), Fix("good", Applicability.SAFE, (Edit(Span(10, 11), "3"),)))
    bad = _diag(source.path, Span(0, 1), Fix("break it", Applicability.SAFE, (Edit(Span(0, 5), "x = ("),)))
    monkeypatch.setattr(fixer, "lint_source", lambda *a, **k: FileResult(source.path, [good, bad]))
    outcome = fix_source(source, ALL, state, unsafe=False)
    assert outcome.text == "x = 1\ny = 3\n" and outcome.applied >= 1 and "break it" in (outcome.warning or "")


def test_repeated_keyword_does_not_count_as_parsing() -> None:
    assert not parses("f(a=1, a=2)\n", FileKind.PYTHON)


def test_parses() -> None:
    assert parses("x = 1", FileKind.PYTHON) and not parses("x = (", FileKind.PYTHON)
    assert parses("{{ a }}", FileKind.JINJA) and not parses("{% if %}", FileKind.JINJA)


# -- property tests over generated message-building code -------------------------------------------
PIECES = st.sampled_from(
    [
        "f'Now {datetime.now()} '",
        "', '.join(TAGS)",
        "json.dumps(load())",
        "POLICY",
        "'Static text. '",
        "str(uuid.uuid4())",
        "json.dumps(load(), sort_keys=True)",
        "', '.join(sorted(TAGS))",
        "name",
    ]
)
HEADERS = st.sampled_from(
    [
        "",
        ", extra_headers={'X-Cache-Enable': 'true'}",
        ", extra_headers={'X-Cache-TTL': '60', 'X-Trace': 't'}",
    ]
)


def program(pieces: list[str], headers: str) -> str:
    return (
        "import json, uuid\nfrom datetime import datetime\n"
        "TAGS = {'a', 'b'}\nPOLICY = 'Follow the store policy for every answer you give to customers. ' * 8\n"
        "def ask(client, q, name, load):\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
        f"        {{'role': 'system', 'content': {' + '.join(pieces)} + POLICY}},\n"
        f"        {{'role': 'user', 'content': q}}]{headers})\n"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, min_size=1, max_size=4), HEADERS, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fixing_is_idempotent_and_keeps_files_valid(
    state: LintState, pieces: list[str], headers: str, newline: str, bom: bool
) -> None:
    source = source_of(program(pieces, headers), newline=newline, bom=bom)
    once = fix_source(source, ALL, state, unsafe=True)
    ast.parse(once.text)
    twice = fix_source(
        source_of(once.text.replace("\r\n", "\n"), newline=newline, bom=bom), ALL, state, unsafe=True
    )
    assert twice.text == once.text and twice.applied == 0
    assert source.encode(once.text).startswith(b"\xef\xbb\xbf") == bom
    if newline == "\r\n":
        assert "\n" not in once.text.replace("\r\n", "")
    has_fix = any(p in pieces for p in ("', '.join(TAGS)", "json.dumps(load())")) or "X-Cache" in headers
    if not has_fix:
        assert once.text == source.text


def test_a_fix_the_files_encoding_cannot_store_is_set_aside(state: LintState, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = decode_source("app.py", b"# coding: latin-1\nx = 1\n", FileKind.PYTHON)
    euro = _diag(
        source.path, Span(18, 19), Fix("euro", Applicability.SAFE, (Edit(Span(22, 23), "'\u20ac'"),))
    )
    monkeypatch.setattr(fixer, "lint_source", lambda *a, **k: FileResult(source.path, [euro]))
    outcome = fix_source(source, ALL, state, unsafe=False)
    assert outcome.text == source.text and outcome.warning and "euro" in outcome.warning


def test_a_file_whose_codec_does_not_round_trip_is_never_fixed(state: LintState) -> None:
    source = decode_source(
        "app.py", b"# coding: utf-7\n" + APP.encode("utf-7") + b"# +AOk-\n", FileKind.PYTHON
    )
    outcome = fix_source(source, ALL, state, unsafe=True)
    assert (
        not outcome.changed and outcome.warning and "would not write back the same bytes" in outcome.warning
    )
