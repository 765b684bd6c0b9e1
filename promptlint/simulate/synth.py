"""Render a `Prompt` into concrete synthetic requests, without running any user code.

Slots get made-up values by stability: STATIC and DEPLOYMENT slots are one fixed value, SESSION slots
one value per synthetic user (K users), REQUEST slots fresh text every request, VOLATILE slots a
fresh value of their kind (a clock string at the slot's granularity, an id, a random pick, a
shuffled order). Each part becomes a content block, split where a `cache_control` breakpoint falls
inside it; `Control` markers render nothing. Everything is seeded, so output is deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from promptlint.ir import Granularity, Prompt, Slot, Stability, Text, VolatileKind

_WORDS = (
    "account order invoice refund shipping delay product review warranty billing address payment "
    "subscription upgrade cancel support ticket error login password report summary analysis budget "
    "forecast revenue expense quarter customer contract renewal pricing discount inventory status"
).split()

_CLOCK_FORMATS = {
    Granularity.SUBSECOND: "%Y-%m-%dT%H:%M:%S.%f",
    Granularity.SECOND: "%Y-%m-%d %H:%M:%S",
    Granularity.MINUTE: "%Y-%m-%d %H:%M",
    Granularity.HOUR: "%Y-%m-%d %H:00",
    Granularity.DAY: "%Y-%m-%d",
    Granularity.WEEK: "%G-W%V",
    Granularity.MONTH: "%Y-%m",
    Granularity.YEAR: "%Y",
}

_EPOCH = dt.datetime(2026, 11, 22, 9, 0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class SynthOptions:
    """How many requests, from how many users, how far apart, and how long per-request text is."""

    requests: int = 100
    users: int = 10
    seed: int = 0
    interval_seconds: float = 7.0
    request_words: int = 40


@dataclass(frozen=True, slots=True)
class RenderedRequest:
    """One synthetic request: block texts in serialisation order and breakpoint block indices."""

    blocks: tuple[str, ...]
    breakpoints: tuple[int, ...]
    automatic: bool
    user: int
    time: float

    @property
    def text(self) -> str:
        return "".join(self.blocks)


def render_requests(prompt: Prompt, options: SynthOptions) -> Iterator[RenderedRequest]:
    """`options.requests` renderings of `prompt` with synthetic slot values."""
    rng = random.Random(options.seed)
    users = max(1, options.users)
    for index in range(options.requests):
        user = rng.randrange(users)
        when = index * options.interval_seconds
        values = _SlotValues(rng, user, when, options.request_words)
        yield _render_one(prompt, values, user, when)


def _render_one(prompt: Prompt, values: _SlotValues, user: int, when: float) -> RenderedRequest:
    cuts = {(bp.part, bp.segment) for bp in prompt.breakpoints if not bp.automatic}
    automatic = any(bp.automatic for bp in prompt.breakpoints)
    blocks: list[str] = []
    marked: list[int] = []
    for pi, part in enumerate(prompt.parts):
        pieces: list[str] = [f"<|{part.role.value}|>\n"]
        last = len(part.segments) - 1
        for si, seg in enumerate(part.segments):
            if isinstance(seg, Text):
                pieces.append(seg.text)
            elif isinstance(seg, Slot):
                pieces.append(values.value(seg))
            if (pi, si) in cuts and si < last:
                blocks.append("".join(pieces))
                marked.append(len(blocks) - 1)
                pieces = []
        pieces.append("\n")
        blocks.append("".join(pieces))
        if (pi, last) in cuts or (pi, -1) in cuts:
            marked.append(len(blocks) - 1)
    return RenderedRequest(tuple(blocks), tuple(marked), automatic, user, when)


class _SlotValues:
    """Synthetic values for one request; SESSION/STATIC values depend only on (label, user)."""

    def __init__(self, rng: random.Random, user: int, when: float, request_words: int) -> None:
        self._rng = rng
        self._user = user
        self._when = when
        self._request_words = request_words

    def value(self, slot: Slot) -> str:
        stability = slot.stability
        if stability in (Stability.STATIC, Stability.DEPLOYMENT):
            return f"[{slot.label}]"
        if stability is Stability.SESSION:
            fixed = random.Random(f"{slot.label}/{self._user}")
            return f"[{slot.label} of user {self._user}: {' '.join(fixed.choices(_WORDS, k=8))}]"
        if stability is Stability.REQUEST:
            return " ".join(self._rng.choices(_WORDS, k=self._request_words))
        return self._volatile(slot)

    def _volatile(self, slot: Slot) -> str:
        rng = self._rng
        if slot.kind is VolatileKind.TIME:
            moment = _EPOCH + dt.timedelta(seconds=self._when, microseconds=rng.randrange(10**6))
            return moment.strftime(_CLOCK_FORMATS[slot.granularity or Granularity.SECOND])
        if slot.kind is VolatileKind.RANDOM:
            return rng.choice(_WORDS)
        if slot.kind is VolatileKind.ORDER:
            items = sorted(_WORDS[:6])
            rng.shuffle(items)
            return ", ".join(items)
        return f"{rng.getrandbits(128):032x}"
