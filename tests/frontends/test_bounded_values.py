"""String values have a size bound: doubling, repetition and long lists are summarised past it, the
most variable slot of what was dropped is kept, and the summary knows how much text it stands for."""

from __future__ import annotations

from promptlint.diagnostics import Span
from promptlint.frontends.python.values import (
    MAX_ITEMS,
    MAX_SEGMENTS,
    MAX_TEXT_CHARS,
    Opaque,
    Str,
    bounded_items,
    concat,
    repeat,
    text,
    text_size,
)
from promptlint.ir import Slot, Stability, is_summary, summarised_chars

HERE = Span(0, 1)


def test_doubling_stays_within_the_bound_and_counts_what_it_dropped() -> None:
    value = text("x" * 100, HERE)
    for _ in range(60):
        value = concat(value, value)
    assert len(value.segments) <= MAX_SEGMENTS
    assert text_size(value.segments, summarised=False) <= MAX_TEXT_CHARS
    assert text_size(value.segments) == 100 * 2**60
    assert is_summary(value.segments[-1])


def test_a_volatile_slot_past_the_bound_is_kept() -> None:
    now = Slot("now()", Span(5, 6), Stability.VOLATILE, "now()")
    big = repeat(text("rules. ", HERE), 100_000)
    value = concat(big, Str((now,)), big)
    assert now in value.segments
    summary = value.segments[-1]
    assert isinstance(summary, Slot) and is_summary(summary)
    assert summarised_chars(summary) > 0 and summary.stability is Stability.STATIC


def test_small_values_are_left_alone() -> None:
    a, b = text("a", HERE), text("b", HERE)
    assert concat(a, b).segments == a.segments + b.segments
    assert repeat(a, 3).segments[0].text == "aaa"  # type: ignore[union-attr]


def test_long_lists_keep_their_most_variable_item() -> None:
    volatile = Opaque(Stability.VOLATILE, "uuid4()", HERE, "uuid4()")
    items = [text("m", HERE)] * (MAX_ITEMS * 3) + [volatile]
    kept = bounded_items(items, HERE)
    assert len(kept) == MAX_ITEMS
    last = kept[-1]
    assert isinstance(last, Opaque) and last.stability is Stability.VOLATILE
