"""Expected cache hits for a logged request from the provider's documented rules.

Logs carry text, not token ids, and re-tokenising every line would cap throughput far below what
`trace` needs, so character counts are converted to tokens with the request's own ratio (reported
prompt tokens / serialised characters; 1 token per 4 characters without usage). The rules are the
simulator's, applied to "shared prefix with the previous related request": OpenAI floors to 1,024 +
128k; Anthropic reads only at previously written breakpoints within the 20-block lookback; DeepSeek
hits the previous input unit on a pure extension and a common prefix only once it was persisted
(seen diverging at the same point before); vLLM floors to whole blocks, keeping the last token.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.providers import ProviderProfile
from promptlint.simulate.openai import floor_hit
from promptlint.trace.normalise import Item, LoggedRequest

DEFAULT_CHARS_PER_TOKEN = 4.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What is kept of the last request of a conversation (bounded: one per tracked key)."""

    line: int
    provider: str
    model: str
    items: tuple[Item, ...]
    prompt_tokens: int
    tokens_per_char: float
    breakpoints: tuple[int, ...]
    first_user: int
    shared_chars: int
    time: float | None = None
    params: tuple[tuple[str, str], ...] = ()
    conversation: str = ""  # the id reports use: the first key of the conversation, kept as it changes
    written: int = 0  # cache-write tokens the provider reported for this request
    read: int = 0  # cached tokens the provider reported reading for this request
    output_tokens: int = 0  # tokens the model generated in reply (0 when the log does not say)
    #: Tokens the model reads per billed token: below 1 when image parts are billed at a multiple of
    #: what the model reads (gpt-4o-mini); the cache minimum applies to what it reads.
    read_scale: float = 1.0

    @property
    def read_tokens(self) -> int:
        return int(self.prompt_tokens * self.read_scale)

    def chars_before(self, item: int) -> int:
        return sum(len(it.text) for it in self.items[:item])

    def tokens(self, chars: int) -> int:
        return int(chars * self.tokens_per_char)


def snapshot(request: LoggedRequest, shared_chars: int, image_multiplier: float = 1.0) -> Snapshot:
    chars = request.total_chars
    reported = request.usage.prompt_tokens
    ratio = (reported / chars) if reported and chars else 1.0 / DEFAULT_CHARS_PER_TOKEN
    prompt_tokens = reported if reported is not None else int(chars * ratio)
    read_scale = _read_scale(request, prompt_tokens, image_multiplier)
    marks = [i for i, item in enumerate(request.items) if item.breakpoint]
    if request.automatic_breakpoint and request.items:
        marks.append(len(request.items) - 1)
    return Snapshot(
        line=request.line,
        provider=request.provider,
        model=request.model,
        items=request.items,
        prompt_tokens=prompt_tokens,
        tokens_per_char=ratio,
        breakpoints=tuple(sorted(set(marks))),
        first_user=request.first_user_item(),
        shared_chars=shared_chars,
        time=request.time,
        params=request.params,
        written=request.usage.write_tokens or 0,
        read=request.usage.cached_tokens or 0,
        output_tokens=request.usage.output_tokens or 0,
        read_scale=read_scale,
    )


def _read_scale(request: LoggedRequest, prompt_tokens: int, image_multiplier: float) -> float:
    """Read tokens per billed token: the text is read as billed (4 characters a token), the rest of
    the reported input is the image parts' billed size, read at 1/`image_multiplier` of it."""
    if image_multiplier <= 1.0 or prompt_tokens <= 0 or not any(it.media for it in request.items):
        return 1.0
    text = min(
        prompt_tokens, sum(len(it.text) for it in request.items if not it.media) / DEFAULT_CHARS_PER_TOKEN
    )
    return (text + (prompt_tokens - text) / image_multiplier) / prompt_tokens


def changed_params(prev: Snapshot, new: Snapshot) -> list[str]:
    """The cache-relevant request parameters that differ between two requests (`tool_choice`, ...)."""
    before, after = dict(prev.params), dict(new.params)
    return [key for key in sorted(before.keys() | after.keys()) if before.get(key) != after.get(key)]


def expired(profile: ProviderProfile, prev: Snapshot, new: Snapshot) -> bool:
    """Whether more time passed since the related request than the provider keeps a cache entry."""
    return prev.time is not None and new.time is not None and new.time - prev.time > profile.ttl_seconds


def apply_rule(profile: ProviderProfile, model: str, shared: int, total: int, read_scale: float = 1.0) -> int:
    """Tokens a cache could serve for `shared` reusable tokens, ignoring breakpoint placement
    (`read_scale`: read tokens per billed token, which the minimum is compared with)."""
    if profile.rules == "vllm":
        block = max(1, profile.block_tokens)
        return (max(0, min(shared, total - 1)) // block) * block
    minimum = profile.minimum_for(model)
    if shared * read_scale < minimum:
        return 0
    return floor_hit(shared, minimum, profile.block_tokens)


def deepseek_hit(profile: ProviderProfile, model: str, unit: int) -> int:
    """A DeepSeek hit on a persisted unit of `unit` tokens: nothing below the minimum, and whole
    multiples of the observed hit granularity (data: `hit-granularity-tokens`)."""
    if unit < profile.minimum_for(model):
        return 0
    step = profile.hit_granularity_tokens
    return (unit // step) * step


def expected_hit(
    profile: ProviderProfile,
    prev: Snapshot,
    new: Snapshot,
    divergence_item: int | None,
    shared_chars: int,
    tolerance: int,
) -> int:
    """Hit expected for `new` after `prev` (shared prefix `shared_chars`): what the provider's rules
    predict, or what `prev`'s own reported read showed possible, whichever is more."""
    return max(
        _rule_hit(profile, prev, new, divergence_item, shared_chars),
        _observed_hit(profile, prev, new, divergence_item, shared_chars, tolerance),
    )


def _rule_hit(
    profile: ProviderProfile,
    prev: Snapshot,
    new: Snapshot,
    divergence_item: int | None,
    shared_chars: int,
) -> int:
    """Hit the provider's rules predict for `new` after `prev` (shared prefix `shared_chars`)."""
    if not profile.caches(new.model):
        return 0
    if divergence_item is None:  # pure extension: the previous input is exactly reusable
        shared = min(prev.prompt_tokens, new.prompt_tokens)
    else:
        shared = min(new.tokens(shared_chars), new.prompt_tokens)
    if profile.rules == "deepseek":
        if divergence_item is not None:
            # Two requests that diverge persist their common prefix as a unit; a later request that
            # contains that unit hits it (DeepSeek's worked example 2: A+B, A+C miss, A+D hits A).
            persisted = prev.shared_chars
            shared = new.tokens(persisted) if persisted and shared_chars >= persisted else 0
        return deepseek_hit(profile, new.model, min(shared, new.prompt_tokens))
    if profile.rules == "anthropic":
        return _anthropic(profile, prev, new, divergence_item)
    return apply_rule(profile, new.model, shared, new.prompt_tokens, new.read_scale)


def _observed_hit(
    profile: ProviderProfile,
    prev: Snapshot,
    new: Snapshot,
    divergence_item: int | None,
    shared_chars: int,
    tolerance: int,
) -> int:
    """The hit the provider itself showed possible: `prev` read `prev.read` tokens, so an entry of
    that prefix existed (and a read refreshes it); `new`, sharing at least that much of `prev`,
    can read it too, whatever the documented rules alone would predict (an entry warm from
    traffic the log does not hold). Only for Anthropic, whose entries are kept for their TTL once
    written (and `new` needs a breakpoint to read at): the automatic caches route requests by a hash
    of the prefix and serve a hit on a best-effort basis, so one hit does not promise the next (on
    the recorded traffic of `tests/bench/trace_real`, assuming it made 4 more OpenAI requests
    disagree than it mended)."""
    if not prev.read or profile.rules != "anthropic" or not new.breakpoints:
        return 0
    shared = prev.prompt_tokens if divergence_item is None else new.tokens(shared_chars)
    if shared + max(tolerance, 0.05 * prev.read) < prev.read:
        return 0
    return min(prev.read, new.prompt_tokens)


def _anthropic(profile: ProviderProfile, prev: Snapshot, new: Snapshot, divergence_item: int | None) -> int:
    lookback = profile.lookback_blocks or 20
    limit = len(prev.items) if divergence_item is None else divergence_item
    best = 0
    for written in prev.breakpoints:
        if written >= limit:
            continue
        if any(written <= bp < written + lookback for bp in new.breakpoints):
            end = (
                prev.prompt_tokens
                if written == len(prev.items) - 1
                else new.tokens(new.chars_before(written + 1))
            )
            best = max(best, min(end, new.prompt_tokens))
    return best if best >= profile.minimum_for(new.model) else 0
