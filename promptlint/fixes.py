"""Pure text edits: apply a set of non-overlapping `Edit`s to a string."""

from __future__ import annotations

from collections.abc import Iterable

from promptlint.diagnostics import Edit, Fix


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits (which must not overlap) to `text` and return the new text.

    Raises:
        ValueError: two edits overlap or an edit lies outside the text.
    """
    ordered = sorted(edits, key=lambda e: (e.span.start, e.span.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.span.start < pos or edit.span.end > len(text):
            raise ValueError(f"overlapping or out-of-range edit at {edit.span}")
        out.append(text[pos : edit.span.start])
        out.append(edit.content)
        pos = edit.span.end
    out.append(text[pos:])
    return "".join(out)


def select_non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """Greedily keep fixes whose edits overlap none kept before (ruff's rule), in the given order."""
    kept: list[Fix] = []
    taken: list[tuple[int, int]] = []
    for fix in fixes:
        spans = [(e.span.start, e.span.end) for e in fix.edits]
        if any(_clash(s, t) for s in spans for t in taken):
            continue
        kept.append(fix)
        taken.extend(spans)
    return kept


def _clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return a[0] < b[1] and b[0] < a[1]
