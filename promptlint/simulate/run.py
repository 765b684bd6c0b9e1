"""Replay synthetic requests through a cache model and total tokens, hit ratio and cost.

`simulate_prompt` renders a prompt (see `synth`), tokenises each block with the provider profile's
tiktoken encoding, feeds the requests to the provider's cache model and prices the outcome against
sending every token uncached. `compare` runs the same traffic before and after the `whatif` fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from promptlint.ir import Prompt
from promptlint.providers import Price, ProviderProfile
from promptlint.simulate.base import SimRequest
from promptlint.simulate.factory import ModelOptions, build_model
from promptlint.simulate.synth import SynthOptions, render_requests
from promptlint.simulate.whatif import move_dynamic_to_end

Encoder = Callable[[str], Sequence[int]]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Totals over one simulated stream of requests."""

    provider: str
    model: str | None
    requests: int
    users: int
    input_tokens: int
    cached_tokens: int
    write_tokens: int
    requests_with_hit: int
    cost_cached: float
    cost_uncached: float
    currency: str

    @property
    def hit_ratio(self) -> float:
        return self.cached_tokens / self.input_tokens if self.input_tokens else 0.0

    @property
    def relative_cost(self) -> float:
        """Cost with caching as a fraction of the cost without caching."""
        return self.cost_cached / self.cost_uncached if self.cost_uncached else 1.0

    def to_json(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "model": self.model,
            "requests": self.requests,
            "users": self.users,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "write_tokens": self.write_tokens,
            "requests_with_hit": self.requests_with_hit,
            "hit_ratio": round(self.hit_ratio, 6),
            "cost_cached": round(self.cost_cached, 9),
            "cost_uncached": round(self.cost_uncached, 9),
            "relative_cost": round(self.relative_cost, 6),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """The same traffic as written and after moving dynamic slots to the end."""

    label: str
    before: SimulationResult
    after: SimulationResult

    def to_json(self) -> dict[str, object]:
        return {"prompt": self.label, "before": self.before.to_json(), "after": self.after.to_json()}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A prompt the provider would refuse as written (`reason`), so there is no traffic to simulate."""

    label: str
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"prompt": self.label, "rejected": self.reason}


def simulate_prompt(
    prompt: Prompt,
    profile: ProviderProfile,
    encode: Encoder,
    *,
    model: str | None = None,
    synth: SynthOptions | None = None,
    options: ModelOptions | None = None,
) -> SimulationResult:
    """Render `synth.requests` requests of `prompt` and replay them through `profile`'s cache model."""
    synth = synth or SynthOptions()
    options = options or ModelOptions()
    model_name = model or prompt.model
    cache = build_model(profile, model_name, options)
    price = profile.price_for(model_name)
    memo: dict[str, tuple[int, ...]] = {}
    inputs = cached = written = with_hit = 0
    cost = 0.0
    for rendered in render_requests(prompt, synth):
        tokens: list[int] = []
        ends: list[int] = []
        for block in rendered.blocks:
            ids = memo.get(block)
            if ids is None:
                ids = tuple(encode(block))
                if len(memo) < 4096:
                    memo[block] = ids
            tokens.extend(ids)
            ends.append(len(tokens))
        request = SimRequest(
            tokens=tuple(tokens),
            block_ends=tuple(ends),
            breakpoints=rendered.breakpoints,
            automatic=rendered.automatic,
            model=model_name,
            time=rendered.time,
        )
        outcome = cache.serve(request)
        inputs += outcome.input_tokens
        cached += outcome.cached_tokens
        written += outcome.write_tokens
        with_hit += outcome.cached_tokens > 0
        cost += _cost(price, outcome.input_tokens, outcome.cached_tokens, outcome.write_tokens)
    return SimulationResult(
        provider=profile.name,
        model=model_name,
        requests=synth.requests,
        users=synth.users,
        input_tokens=inputs,
        cached_tokens=cached,
        write_tokens=written,
        requests_with_hit=with_hit,
        cost_cached=cost,
        cost_uncached=inputs * price.miss / 1e6,
        currency=price.currency,
    )


def compare(
    prompt: Prompt,
    profile: ProviderProfile,
    encode: Encoder,
    *,
    label: str = "",
    model: str | None = None,
    synth: SynthOptions | None = None,
    options: ModelOptions | None = None,
) -> Comparison:
    """Simulate `prompt` as written and after `move_dynamic_to_end`, on identical synthetic traffic."""
    before = simulate_prompt(prompt, profile, encode, model=model, synth=synth, options=options)
    fixed = move_dynamic_to_end(prompt)
    after = simulate_prompt(fixed, profile, encode, model=model, synth=synth, options=options)
    return Comparison(label=label, before=before, after=after)


def _cost(price: Price, inputs: int, cached: int, written: int) -> float:
    plain = max(0, inputs - cached - written)
    return (cached * price.hit + written * price.write + plain * price.miss) / 1e6
