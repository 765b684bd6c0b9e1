"""Jinja frontend: exact spans from the lexer, stabilities, whitespace control, includes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlint.diagnostics import Span
from promptlint.frontends.jinja import build_placed, extract_jinja
from promptlint.frontends.jinja_lex import JinjaOptions
from promptlint.frontends.template_loader import TemplateLoader, parse_template
from promptlint.ir import Control, Granularity, Role, Slot, Stability, Text, VolatileKind
from promptlint.source import FileKind, SourceFile

POLICY = "Refunds are accepted within 30 days with a receipt; store credit otherwise. " * 8


def facts(text: str, path: str = "t.j2"):  # type: ignore[no-untyped-def]
    return extract_jinja(SourceFile(path, text, FileKind.JINJA), TemplateLoader())


def segments(text: str, path: str = "t.j2") -> list[object]:
    found = facts(text, path)
    assert found.parse_failure is None, found.parse_failure
    return list(found.prompts[0].parts[0].segments)


def slots(text: str) -> dict[str, Slot]:
    return {s.label: s for s in segments(text) if isinstance(s, Slot)}


def rendered(text: str, **bound: Stability) -> list[object]:
    """Segments of `text` rendered by Python with each name in `bound` passed at that stability."""
    parsed = parse_template("t.j2", text, JinjaOptions())
    bindings = {name: Slot(name, Span(0, 0), st, f"argument `{name}`") for name, st in bound.items()}
    placed, _ = build_placed(parsed, TemplateLoader(), JinjaOptions(), bindings)
    return [p.seg for p in placed]


def test_slot_spans_are_exact_including_crlf() -> None:
    text = "Hi\r\nToday {{ now }} and {{- user.name -}}  !\r\n"
    found = slots(text)
    assert text[found["now"].span.start : found["now"].span.end] == "{{ now }}"
    assert text[found["user.name"].span.start : found["user.name"].span.end] == "{{- user.name -}}"


def test_stabilities_by_name_filters_and_declarations() -> None:
    found = slots(
        "{# promptlint: stable=company #}{{ now }} {{ today }} {{ request_id }} {{ tips|random }}"
        " {{ company }} {{ customer_name }} {{ 'x' }} {{ now.strftime('%Y-%m-%d') }}"
    )
    assert found["now"].kind is VolatileKind.TIME and found["now"].granularity is None
    assert found["today"].granularity is Granularity.DAY
    assert found["request_id"].kind is VolatileKind.ID
    assert found["tips|random"].kind is VolatileKind.RANDOM
    assert found["company"].stability is Stability.DEPLOYMENT
    # A name is no evidence (issue 11): a variable nothing binds is of unknown origin.
    assert found["customer_name"].stability is Stability.UNKNOWN
    assert found["'x'"].stability is Stability.STATIC
    assert found["now.strftime('%Y-%m-%d')"].granularity is Granularity.DAY
    # Rendered with a per-request argument, the same variable takes the argument's stability.
    bound = {s.label: s for s in rendered("{{ customer_name }}", customer_name=Stability.REQUEST)}
    assert bound["customer_name"].stability is Stability.REQUEST


def test_whitespace_control_is_respected_in_static_text() -> None:
    text = "A  {%- if x -%}\n   B\n{%- endif %}  C"
    found = [s.text for s in segments(text) if isinstance(s, Text)]
    assert found == ["A", "B", "  C"]


CONTROLS = (
    "{% set greeting = 'Hello' %}{{ greeting }}{% for k, v in cfg | dictsort %}{{ k }}{% endfor %}"
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m('x') }}{% if premium %}P{% else %}Q{% endif %}"
)


def test_controls_scopes_and_sorted_loops() -> None:
    segs = segments(CONTROLS)
    kinds = [s.kind for s in segs if isinstance(s, Control)]
    assert kinds == ["for", "macro", "if", "else", "endif"]
    by_label = {s.label: s for s in segs if isinstance(s, Slot)}
    assert by_label["greeting"].stability is Stability.STATIC
    assert by_label["m('x')"].stability is Stability.STATIC
    # The loop variable takes the stability of what it iterates: `cfg` is bound by nobody, so it
    # is unknown (issue 11), not per-request by guess.
    assert by_label["k"].stability is Stability.UNKNOWN
    assert all(s.stability is not Stability.VOLATILE for s in by_label.values())
    # Rendered with a per-request `cfg`, the loop variable is per-request with evidence.
    bound = {s.label: s for s in rendered(CONTROLS, cfg=Stability.REQUEST) if isinstance(s, Slot)}
    assert bound["k"].stability is Stability.REQUEST
    assert bound["greeting"].stability is Stability.STATIC


def test_role_directive() -> None:
    found = facts("{# promptlint: role=user #}{{ question }}")
    assert found.prompts[0].parts[0].role is Role.USER
    assert facts("x").prompts[0].parts[0].role is Role.SYSTEM


def test_include_and_extends_inline_other_templates(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "head.j2").write_text("Request {{ request_id }}.\n")
    (tmp_path / "base.j2").write_text("Base start. {% block body %}default{% endblock %} Base end.")
    child = tmp_path / "child.j2"
    text = '{% extends "base.j2" %}{% block body %}{% include "partials/head.j2" %}Mine{% endblock %}'
    child.write_text(text)
    found = facts(text, str(child))
    segs = found.prompts[0].parts[0].segments
    rendered = "".join(s.text for s in segs if isinstance(s, Text))
    assert (
        rendered == "Base start. Request .Mine Base end."
    )  # the trailing newline is dropped, as jinja2 does
    slot = next(s for s in segs if isinstance(s, Slot))
    assert slot.kind is VolatileKind.ID and slot.origin is not None
    assert slot.origin.path.endswith("head.j2")
    assert {Path(p).name for p in found.related_paths} == {"base.j2", "head.j2"}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("Hello\n  {% iff x %}", 2, 6),
        ("a {{ x y }}", 1, 8),
        ('x\n{{ "unterminated }}', 2, 4),
        ("{% if a %}never closed", 1, 1),  # the block left open, not the end of the file
    ],
)
def test_syntax_errors_have_line_and_column(text: str, line: int, column: int) -> None:
    failure = facts(text).parse_failure
    assert failure is not None
    pos = SourceFile("t.j2", text, FileKind.JINJA).lines.position(failure.span.start)
    assert (pos.line, pos.column) == (line, column)


@pytest.mark.parametrize(
    "text",
    [
        "---\nlayout: post\ntitle: {{ page.title }}\n---\n{% highlight python %}x{% endhighlight %}",
        "{{ }}",
        "{% raw %}{{ not parsed }}{% endraw %}{{",
        "{% include missing %}{% include 'nope.j2' ignore missing %}{% import 'x.j2' as m %}{{ m.f() }}",
        "\x00{{ a }}\ud7ff",
        "{% for %}",
        "",
    ],
)
def test_weird_templates_never_crash(text: str) -> None:
    found = facts(text)
    assert found.parse_failure is not None or found.prompts
