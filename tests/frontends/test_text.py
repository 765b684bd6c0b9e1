"""Plain prompt files: `{name}` and `{{ name }}` fields, escapes, and braces that are just text."""

from __future__ import annotations

from promptlint.diagnostics import Span
from promptlint.frontends.text import segments_of, text_placed
from promptlint.ir import Slot, Stability, Text, VolatileKind


def test_format_and_mustache_fields() -> None:
    text = 'Hi {user_name} at {{ now }}; JSON {{"k": 1}} {"raw": 2} {0}'
    segs = segments_of("p.txt", text)
    found = {s.label: s for s in segs if isinstance(s, Slot)}
    assert set(found) == {"{user_name}", "{{ now }}", "{0}"}
    assert found["{{ now }}"].kind is VolatileKind.TIME
    # Linted on its own, a field nothing binds is of unknown origin, not per-request by its name
    # (evidence rule, issue 11).
    assert found["{user_name}"].stability is Stability.UNKNOWN
    assert text[found["{user_name}"].span.start : found["{user_name}"].span.end] == "{user_name}"
    literal = "".join(s.text for s in segs if isinstance(s, Text))
    assert '{"k": 1}' in literal and '{"raw": 2}' in literal


def test_fields_take_the_stability_of_the_format_call_arguments() -> None:
    request = Slot("user.name", Span(0, 0), Stability.REQUEST, "request parameter `user`")
    placed = text_placed("p.txt", "Hi {user_name} at {{ now }}.", "auto", {"user_name": request})
    found = {p.seg.label: p.seg for p in placed if isinstance(p.seg, Slot)}
    assert found["{user_name}"].stability is Stability.REQUEST
    assert found["{{ now }}"].kind is VolatileKind.TIME


def test_format_mode_treats_double_braces_as_escapes() -> None:
    placed = text_placed("p.txt", "{{ name }} and {name}", "format")
    assert [p.seg.label for p in placed if isinstance(p.seg, Slot)] == ["{name}"]


def test_liquid_and_stray_braces_do_not_crash() -> None:
    for text in ["{% if page %}{{ page.title | escape }}{% endif %}", "{", "}", "{{", "{:>10}", "{!r}"]:
        segments_of("p.md", text)
