"""Where two related requests first differ, and which cause from the fixed vocabulary explains it.

Causes: `timestamp`, `id`, `json-key-order`, `tools-changed`, `sliding-window`, `history-edited`,
`system-changed`, `model-changed`, `below-minimum`, `breakpoint` (and its Anthropic cases
`no-breakpoint`, `breakpoint-too-late`, `breakpoint-moved`, `breakpoint-lookback`,
`too-many-breakpoints`), `ttl-expired`, `params-changed`. Content causes look at the text
around the first differing character in both requests: a clock-like or id-like token spanning that
point, or a JSON object that parses to the same value with its keys in another order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from promptlint.simulate.base import common_prefix_len
from promptlint.trace.normalise import Item

CAUSES = (
    "timestamp",
    "id",
    "json-key-order",
    "tools-changed",
    "sliding-window",
    "history-edited",
    "system-changed",
    "model-changed",
    "below-minimum",
    "breakpoint",
    "no-breakpoint",
    "breakpoint-too-late",
    "breakpoint-moved",
    "breakpoint-lookback",
    "too-many-breakpoints",
    "ttl-expired",
    "params-changed",
)

_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?"
    r"|\b1[5-9]\d{8}(?:\d{3})?(?:\.\d+)?\b"
    r"|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+\w+\s+\d{1,2}"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:,\s*\d{4})?"
)
_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\b[0-9a-fA-F]{12,}\b"
    r"|\b[A-Za-z]+[_-][A-Za-z0-9]*\d[A-Za-z0-9_-]{5,}\b"
    r"|\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*[A-Za-z][A-Za-z0-9_-]{6,}\b"
)
_WINDOW = 48


@dataclass(frozen=True, slots=True)
class Divergence:
    """First differing item (`item` index in both requests) and character `offset` inside it."""

    item: int
    offset: int
    was: str
    now: str


def first_divergence(prev: tuple[Item, ...], new: tuple[Item, ...]) -> Divergence | None:
    """None when `new` starts with every item of `prev` (a pure extension)."""
    for i, old in enumerate(prev):
        if i >= len(new):
            return Divergence(i, 0, old.text, "")
        cur = new[i]
        if old.text != cur.text or old.role != cur.role or old.section != cur.section:
            offset = common_prefix_len(old.text, cur.text) if old.role == cur.role else 0
            return Divergence(i, offset, old.text, cur.text)
    return None


def content_cause(was: str, now: str, offset: int) -> str | None:
    """`timestamp`, `id` or `json-key-order` when the text at `offset` says so, else None."""
    if _spans(_TIME, was, offset) and _spans(_TIME, now, offset):
        return "timestamp"
    if _spans(_ID, was, offset) and _spans(_ID, now, offset):
        return "id"
    if _same_json_reordered(was, now, offset):
        return "json-key-order"
    return None


def is_sliding_window(prev: list[str], new: list[str], limit: int = 64) -> bool:
    """Whether `new` continues `prev` after dropping k >= 1 of its oldest messages."""
    for k in range(1, min(len(prev), limit + 1)):
        rest = prev[k:]
        if rest and new[: len(rest)] == rest:
            return True
    return False


def _spans(pattern: re.Pattern[str], text: str, offset: int) -> bool:
    start = max(0, offset - _WINDOW)
    for match in pattern.finditer(text, start, offset + _WINDOW):
        if match.start() <= offset <= match.end() and match.end() > match.start():
            return True
    return False


def _same_json_reordered(was: str, now: str, offset: int) -> bool:
    """A JSON value starting at or before `offset` parses equal in both texts but is spelled differently."""
    if was == now:
        return False
    if _loads_equal(was, now):
        return True
    decoder = json.JSONDecoder()
    pos = offset
    for _ in range(8):
        pos = max(was.rfind("{", 0, pos + 1), was.rfind("[", 0, pos + 1))
        if pos < 0:
            return False
        try:
            a, end_a = decoder.raw_decode(was, pos)
            b, end_b = decoder.raw_decode(now, pos)
        except ValueError:
            pos -= 1
            continue
        if end_a > offset and a == b and was[pos:end_a] != now[pos:end_b]:
            return True
        pos -= 1
        if pos < 0:
            return False
    return False


def _loads_equal(was: str, now: str) -> bool:
    if was[:1] not in ("{", "[") or now[:1] not in ("{", "["):
        return False
    try:
        return bool(json.loads(was) == json.loads(now))
    except ValueError:
        return False
