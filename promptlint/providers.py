"""Provider cache profiles: minimum cacheable tokens, granularity, breakpoint limits, prices, usage fields.

The numbers live in `data/providers.toml` with their sources and review dates; config can override any
of them. Rules read profiles through `RuleContext`, never literals; `simulate` and `trace` read the
prices, granularity and usage field names from here too.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from promptlint.ir import Provider

#: Currency marker for prices expressed as multiples of the model's base (uncached) input price.
RELATIVE = "x-input"


@dataclass(frozen=True, slots=True)
class Price:
    """Input prices per 1M tokens: uncached (`miss`), cache read (`hit`) and cache write (`write`).

    `currency` is an ISO code, or `RELATIVE` when the source gives only a discount (then `miss` is 1.0).
    """

    miss: float
    hit: float
    write: float
    currency: str = RELATIVE
    source: str = ""

    @property
    def relative_hit(self) -> float:
        """Price of a cached token as a fraction of an uncached one."""
        return self.hit / self.miss if self.miss else 0.0


_EMPTY_PRICES: Mapping[str, Price] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """What one provider's prefix cache needs, how it reports hits and what they cost."""

    name: str
    minimum_tokens: int
    encoding: str = "o200k_base"
    max_breakpoints: int | None = None
    lookback_blocks: int | None = None
    model_minimum_tokens: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Hits grow in steps of this many tokens (OpenAI 128, vLLM block size); 1 = token granularity.
    block_tokens: int = 1
    #: DeepSeek's older 64-token storage unit (legacy simulation mode); None when not applicable.
    legacy_unit_tokens: int | None = None
    hit_granularity_tokens: int = 1  # hits come in multiples of this many tokens (DeepSeek: 128, observed)
    #: OpenAI routes by a hash of roughly this many leading tokens; None when not applicable.
    routing_prefix_tokens: int | None = None
    #: Idle time after which an entry is gone (seconds); a configuration guess where unpublished.
    ttl_seconds: float = 300.0
    prices: Mapping[str, Price] = field(default_factory=lambda: _EMPTY_PRICES)
    #: Logical name (`hit`, `miss`, `read`, `write`, `input`) -> dotted path in the response body.
    usage_fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reviewed: str = ""
    #: Which cache rules apply: `openai`, `anthropic`, `deepseek`, `vllm`, or `prefix` (token-exact
    #: automatic prefix caching floored to `block_tokens`, as OpenAI-compatible vendors document it).
    cache_model: str = ""
    #: API hosts that identify the provider in a log (`api.groq.com`); a suffix match.
    hosts: tuple[str, ...] = ()
    #: A router's model-name prefix -> the profile that serves it (OpenRouter `anthropic/` -> anthropic).
    model_routes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Model-name prefixes of this provider's models: how a request to an unknown host or provider
    #: (a gateway, a cloud marketplace) finds the rules of the model's maker.
    model_prefixes: tuple[str, ...] = ()
    #: Model-name prefixes that have no automatic cache at all (Gemini before 2.5): nothing is expected.
    uncached_models: tuple[str, ...] = ()
    #: Tool types the provider runs itself (prefixes): their results are billed as input tokens that
    #: the request body does not contain, so trace leaves them out of prefix arithmetic.
    server_tool_types: tuple[str, ...] = ()
    #: Model-name prefix -> billed tokens per token the model reads for an image (gpt-4o-mini bills
    #: images about 33x): the cache minimum applies to what the model reads.
    image_token_multipliers: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def caches(self, model: str) -> bool:
        """Whether `model` has an automatic cache at all (not one of `uncached_models`)."""
        return not any(model.startswith(prefix) for prefix in self.uncached_models)

    def runs_tools(self, tool_types: tuple[str, ...]) -> bool:
        """Whether any of a request's tool types is one this provider runs server-side."""
        return any(t.startswith(prefix) for t in tool_types for prefix in self.server_tool_types)

    @property
    def rules(self) -> str:
        """The cache model this profile follows (its own name when not set)."""
        return self.cache_model or self.name

    def minimum_for(self, model: str | None) -> int:
        """Minimum cacheable tokens for `model` (longest matching prefix), else the default."""
        best = _longest_prefix(self.model_minimum_tokens, model)
        return self.model_minimum_tokens[best] if best else self.minimum_tokens

    def image_multiplier_for(self, model: str | None) -> float:
        """Billed tokens per read token of an image part for `model` (1.0 when not listed)."""
        best = _longest_prefix(self.image_token_multipliers, model)
        return self.image_token_multipliers[best] if best else 1.0

    def price_for(self, model: str | None) -> Price:
        """Prices for `model` (longest matching model-name prefix), else the `default` entry."""
        best = _longest_prefix({k: v for k, v in self.prices.items() if k != "default"}, model)
        if best:
            return self.prices[best]
        return self.prices.get("default") or Price(miss=1.0, hit=1.0, write=1.0)


def _longest_prefix(table: Mapping[str, Any], model: str | None) -> str:
    best = ""
    if model:
        for prefix in table:
            if model.startswith(prefix) and len(prefix) > len(best):
                best = prefix
    return best


def default_profile_data() -> dict[str, Any]:
    """The shipped profile table as parsed TOML."""
    text = (importlib.resources.files("promptlint") / "data" / "providers.toml").read_text("utf-8")
    return tomllib.loads(text)


def profile_names() -> tuple[str, ...]:
    """The shipped profiles, in the table's order (the choices of `--provider`)."""
    return tuple(default_profile_data())


def build_profiles(data: Mapping[str, Any]) -> dict[str, ProviderProfile]:
    """Turn a (possibly config-merged) profile table into `ProviderProfile`s."""
    out: dict[str, ProviderProfile] = {}
    for name, raw in data.items():
        sources = {k.removesuffix("-source"): str(v) for k, v in raw.items() if k.endswith("-source")}
        out[name] = ProviderProfile(
            name=name,
            minimum_tokens=int(raw.get("minimum-tokens", 1024)),
            encoding=str(raw.get("encoding", "o200k_base")),
            max_breakpoints=_opt_int(raw.get("max-breakpoints")),
            lookback_blocks=_opt_int(raw.get("lookback-blocks")),
            model_minimum_tokens=MappingProxyType(
                {str(k): int(v) for k, v in raw.get("model-minimum-tokens", {}).items()}
            ),
            sources=MappingProxyType(sources),
            block_tokens=int(raw.get("block-tokens", 1)),
            legacy_unit_tokens=_opt_int(raw.get("legacy-unit-tokens")),
            hit_granularity_tokens=max(1, int(raw.get("hit-granularity-tokens", 1))),
            routing_prefix_tokens=_opt_int(raw.get("routing-prefix-tokens")),
            ttl_seconds=float(raw.get("ttl-seconds", 300.0)),
            prices=MappingProxyType(_build_prices(raw.get("prices", {}))),
            usage_fields=MappingProxyType({str(k): str(v) for k, v in raw.get("usage-fields", {}).items()}),
            reviewed=str(raw.get("reviewed", "")),
            cache_model=str(raw.get("cache-model", "")),
            hosts=tuple(str(h).lower() for h in raw.get("hosts", ())),
            model_routes=MappingProxyType({str(k): str(v) for k, v in raw.get("model-routes", {}).items()}),
            server_tool_types=tuple(str(t) for t in raw.get("server-tool-types", ())),
            model_prefixes=tuple(str(t) for t in raw.get("model-prefixes", ())),
            uncached_models=tuple(str(t) for t in raw.get("uncached-models", ())),
            image_token_multipliers=MappingProxyType(
                {str(k): float(v) for k, v in raw.get("image-token-multipliers", {}).items()}
            ),
        )
    return out


def _build_prices(raw: Mapping[str, Any]) -> dict[str, Price]:
    """Price entries; an entry missing a field takes it from `default` (so overrides can be partial)."""
    base = raw.get("default", {})
    out: dict[str, Price] = {}
    for model, entry in raw.items():
        merged = {**base, **entry} if model != "default" else dict(entry)
        miss = float(merged.get("miss", 1.0))
        out[str(model)] = Price(
            miss=miss,
            hit=float(merged.get("hit", miss)),
            write=float(merged.get("write", miss)),
            currency=str(merged.get("currency", RELATIVE)),
            source=str(merged.get("source", "")),
        )
    return out


def profile_for(profiles: Mapping[str, ProviderProfile], provider: Provider | str) -> ProviderProfile:
    """The profile of `provider`; litellm/langchain/unknown fall back to OpenAI's."""
    key = str(provider)
    return profiles.get(key) or profiles["openai"]


def route(
    profiles: Mapping[str, ProviderProfile], provider: str, model: str, host: str | None = None
) -> tuple[ProviderProfile, str]:
    """The profile whose cache serves a logged request, and the model name as that provider knows it.

    A host named in a profile's `hosts` wins over the guessed provider; a provider no profile knows
    (an Azure marketplace host, a gateway) gets the profile whose `model-prefixes` name the model; a
    router (OpenRouter) hands `anthropic/claude-…` to the anthropic profile as `claude-…` (its
    `model-routes`).
    """
    if host:
        host = host.lower()
        for profile in profiles.values():
            if any(host == h or host.endswith("." + h) for h in profile.hosts):
                provider = profile.name
                break
    if provider not in profiles and model:
        maker = max(
            (
                (prefix, p.name)
                for p in profiles.values()
                for prefix in p.model_prefixes
                if model.startswith(prefix)
            ),
            default=None,
            key=lambda found: len(found[0]),
        )
        if maker is not None:
            provider = maker[1]
    profile = profile_for(profiles, provider)
    best = _longest_prefix(profile.model_routes, model)
    if best and profile.model_routes[best] in profiles:
        return profiles[profile.model_routes[best]], model[len(best) :]
    return profile, model


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay config overrides (`[tool.promptlint.providers.X]`) on the shipped table."""
    return _deep_merge(base, overrides)


def _deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key at every depth (so `prices.default.hit` alone can be overridden)."""
    merged: dict[str, Any] = {
        k: (_deep_merge(v, {}) if isinstance(v, Mapping) else v) for k, v in base.items()
    }
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
