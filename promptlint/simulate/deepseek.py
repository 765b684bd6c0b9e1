"""DeepSeek context caching on disk, as its guide describes it after the sliding-window redesign.

A hit needs a persisted *cache prefix unit* that the request fully contains; the hit is the longest
such unit. Units are persisted (a) at the end of each request's input and of input + output, (b) for
a common prefix detected across requests, persisted only **after** the request that revealed it is
served (so two divergent requests both miss and the third hits), and (c) every `interval` tokens
inside long inputs/outputs (interval unpublished: a parameter, off by default). `legacy=True` models
the 2024 guide instead: 64-token storage units, hits floored to multiples of 64, < 64 never cached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from promptlint.simulate.base import Outcome, SimRequest, common_prefix_len, is_prefix

LEGACY_UNIT = 64


@dataclass(slots=True)
class _Account:
    """Persisted units (token tuple -> last use time) and recent requests of one isolation key."""

    units: dict[tuple[int, ...], float] = field(default_factory=dict)
    recent: deque[tuple[int, ...]] = field(default_factory=deque)


class DeepSeekModel:
    """Persisted prefix units per `user_id` (the request `key`).

    Args:
        interval: persist a unit every `interval` tokens of long inputs/outputs (None: never).
        legacy: the 2024 behaviour (64-token units, floor to 64).
        min_common_prefix: shortest common prefix the detector persists.
        recent: how many earlier requests the common-prefix detector compares against.
        ttl: seconds a unit survives without use ("a few hours to a few days").
    """

    def __init__(
        self,
        *,
        interval: int | None = None,
        legacy: bool = False,
        min_common_prefix: int = 1,
        recent: int = 16,
        ttl: float = 6 * 3600.0,
        minimum: int = 0,
        granularity: int = 1,
    ) -> None:
        if interval is not None and interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = LEGACY_UNIT if legacy and interval is None else interval
        self.legacy = legacy
        self.min_common_prefix = max(1, min_common_prefix)
        self.recent = recent
        self.ttl = ttl
        self.minimum = minimum  # no hit below this many tokens
        self.granularity = max(1, granularity)  # hits are whole multiples of this
        self._accounts: dict[str, _Account] = {}

    def serve(self, request: SimRequest) -> Outcome:
        acct = self._accounts.setdefault(request.key, _Account())
        self._evict(acct, request.time)
        tokens = request.tokens
        hit = 0
        best: tuple[int, ...] | None = None
        for unit in acct.units:
            if len(unit) > hit and is_prefix(unit, tokens):
                hit, best = len(unit), unit
        if best is not None:
            acct.units[best] = request.time
        if self.legacy:
            hit = (hit // LEGACY_UNIT) * LEGACY_UNIT
        else:
            hit = 0 if hit < self.minimum else (hit // self.granularity) * self.granularity
        self._persist(acct, request)
        return Outcome(input_tokens=len(tokens), cached_tokens=hit)

    def units(self, key: str = "") -> list[tuple[int, ...]]:
        """The persisted units of `key`, shortest first (for tests and reports)."""
        acct = self._accounts.get(key)
        return sorted(acct.units, key=lambda u: (len(u), u)) if acct else []

    def _persist(self, acct: _Account, request: SimRequest) -> None:
        """After serving: detected common prefixes, request-boundary units, fixed-interval units."""
        tokens, now = request.tokens, request.time
        for earlier in acct.recent:
            shared = common_prefix_len(earlier, tokens)
            if shared >= self.min_common_prefix:
                self._add(acct, tokens[:shared], now)
        full = tokens + request.output
        self._add(acct, tokens, now)
        if request.output:
            self._add(acct, full, now)
        if self.interval:
            for end in range(self.interval, len(full), self.interval):
                self._add(acct, full[:end], now)
        acct.recent.append(full)
        while len(acct.recent) > self.recent:
            acct.recent.popleft()

    def _add(self, acct: _Account, unit: tuple[int, ...], now: float) -> None:
        if not unit or (self.legacy and len(unit) < LEGACY_UNIT):
            return
        acct.units.setdefault(unit, now)

    def _evict(self, acct: _Account, now: float) -> None:
        stale = [u for u, used in acct.units.items() if now - used > self.ttl]
        for unit in stale:
            del acct.units[unit]
