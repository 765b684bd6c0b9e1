"""What `trace` produces: one `MissEvent` per explained miss, and constant-size running `TraceStats`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class MissEvent:
    """One explained miss. `was`/`now` are excerpts (or redacted descriptors)."""

    line: int
    previous_line: int
    conversation: str
    provider: str
    model: str
    cause: str | None
    section: str | None
    message_index: int | None
    block_index: int | None
    offset: int | None
    was: str | dict[str, object] | None
    now: str | dict[str, object] | None
    reported_cached: int | None
    expected_cached: int
    tokens_lost: int
    money_lost: float
    currency: str
    findings: tuple[Mapping[str, object], ...] = ()
    #: True when `--source` was given: an empty `findings` then means no finding matched this request.
    source_checked: bool = False


def ranked(losses: Mapping[str, float]) -> list[tuple[str, float]]:
    """Largest loss first; ties by name, so the order is deterministic."""
    return sorted(losses.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(slots=True)
class TraceStats:
    """Running totals (constant size)."""

    requests: int = 0
    malformed: int = 0
    cold: int = 0
    misses: int = 0
    prompt_tokens: int = 0
    reported_cached: int = 0
    expected_cached: int = 0
    with_usage: int = 0
    mismatches: int = 0
    #: Requests with an earlier related request and reported usage: where the cache model can be wrong.
    follow_ups: int = 0
    follow_up_mismatches: int = 0
    #: Of the mismatches: the provider reported more cached tokens than the model expects, or fewer.
    cached_more: int = 0
    cached_less: int = 0
    #: Cache writes the provider reported (Anthropic `cache_creation_input_tokens`), and how many of
    #: them a later related request read: the rest paid the write premium for nothing.
    #: Requests under the provider's minimum whose related request was too: nothing to cache, no miss.
    below_minimum: int = 0
    #: Follow-ups whose reported hit reaches past the previous input into its reply (agreement).
    output_reuse: int = 0
    write_tokens: int = 0
    write_tokens_read: int = 0
    tokens_lost: int = 0
    money_lost: dict[str, float] = field(default_factory=dict)
    causes: Counter[str] = field(default_factory=Counter)
    #: Loss per cause and per conversation in uncached-input-token equivalents (tokens lost times the
    #: discount a hit would have given), comparable across providers and currencies; for the ranking.
    loss_by_cause: dict[str, float] = field(default_factory=dict)
    loss_by_conversation: dict[str, float] = field(default_factory=dict)

    @property
    def writes_never_read(self) -> int:
        """Cache-write tokens no later related request read (the write premium paid for nothing)."""
        return max(0, self.write_tokens - self.write_tokens_read)
