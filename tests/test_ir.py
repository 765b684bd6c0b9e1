"""The IR's position iterators: `after`/`before` start at the position but mean what they always meant."""

from __future__ import annotations

from promptlint.diagnostics import Span
from promptlint.ir import Part, Prompt, Provider, Role, Text


def test_after_and_before_match_a_filtered_walk() -> None:
    sizes = [3, 0, 2, 4]
    parts = tuple(
        Part(Role.USER, tuple(Text(f"{p}.{i}", Span(0, 0)) for i in range(n)), Span(0, 0))
        for p, n in enumerate(sizes)
    )
    prompt = Prompt(Provider.UNKNOWN, Span(0, 0), parts)
    positions = [(pi, si) for pi, si, _ in prompt.walk()]
    assert len(positions) == sum(sizes)
    for part in range(-1, len(sizes) + 1):
        for segment in range(-1, max(sizes) + 2):
            assert [(pi, si) for pi, si, _ in prompt.after(part, segment)] == [
                x for x in positions if x > (part, segment)
            ]
            assert [(pi, si) for pi, si, _ in prompt.before(part, segment)] == [
                x for x in positions if x <= (part, segment)
            ]
