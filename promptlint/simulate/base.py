"""What every cache model shares: the request it is fed, the outcome it returns, prefix helpers.

Models work on token-id sequences. A request may carry block boundaries (cumulative token offsets
where each content block ends) and breakpoint block indices, which only the Anthropic model reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One request as the cache sees it.

    `block_ends[i]` is the token offset where block `i` ends (strictly increasing, last = len(tokens)).
    `breakpoints` are block indices carrying `cache_control`; `automatic` puts one on the last block.
    `key` isolates caches (DeepSeek `user_id`, OpenAI `prompt_cache_key`, vLLM `cache_salt`).
    """

    tokens: tuple[int, ...]
    output: tuple[int, ...] = ()
    block_ends: tuple[int, ...] = ()
    breakpoints: tuple[int, ...] = ()
    automatic: bool = False
    model: str | None = None
    key: str = ""
    time: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """Token counts for one served request: read from cache, written to cache, total input."""

    input_tokens: int
    cached_tokens: int
    write_tokens: int = 0

    @property
    def uncached_tokens(self) -> int:
        return self.input_tokens - self.cached_tokens


class CacheModel(Protocol):
    """A provider's documented cache rules as a state machine over requests."""

    def serve(self, request: SimRequest) -> Outcome: ...


def common_prefix_len(a: Sequence[object], b: Sequence[object]) -> int:
    """Length of the longest common prefix of two sequences (binary search over C-speed slice compares)."""
    n = min(len(a), len(b))
    if n == 0 or a[0] != b[0]:
        return 0
    if a[:n] == b[:n]:
        return n
    lo, hi = 1, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def is_prefix(unit: Sequence[object], seq: Sequence[object]) -> bool:
    """Whether `unit` is a (not necessarily proper) prefix of `seq`."""
    return len(unit) <= len(seq) and seq[: len(unit)] == unit


class RejectedRequest(ValueError):
    """The provider would refuse this request (an HTTP 400): the prompt is reported, not simulated."""
