"""Build the cache model for a provider profile plus the simulation knobs the CLI exposes."""

from __future__ import annotations

from dataclasses import dataclass

from promptlint.providers import ProviderProfile
from promptlint.simulate.anthropic import AnthropicModel
from promptlint.simulate.base import CacheModel
from promptlint.simulate.deepseek import DeepSeekModel
from promptlint.simulate.openai import OpenAIModel
from promptlint.simulate.vllm import VLLMModel


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Parameters the providers do not publish, or that select a documented variant.

    `deepseek_interval`: DeepSeek fixed persistence interval in tokens (unpublished; None = off).
    `deepseek_legacy`: the 2024 DeepSeek behaviour (64-token units).
    `openai_routing`: route OpenAI requests by their first tokens (+ key) to separate machines.
    `openai_overflow_rpm`: requests per minute per route before spilling (~15 documented; None = off).
    """

    deepseek_interval: int | None = None
    deepseek_legacy: bool = False
    openai_routing: bool = True
    openai_overflow_rpm: float | None = None


def build_model(
    profile: ProviderProfile, model: str | None = None, options: ModelOptions | None = None
) -> CacheModel:
    """The cache model for `profile.name` and `model` (unknown names: the generic longest-prefix model)."""
    options = options or ModelOptions()
    name = profile.rules
    minimum = profile.minimum_for(model)
    if name == "deepseek":
        return DeepSeekModel(
            interval=options.deepseek_interval,
            legacy=options.deepseek_legacy,
            ttl=profile.ttl_seconds,
            minimum=minimum,
            granularity=profile.hit_granularity_tokens,
        )
    if name == "anthropic":
        return AnthropicModel(
            minimum_for=profile.minimum_for,
            lookback=profile.lookback_blocks or 20,
            max_breakpoints=profile.max_breakpoints or 4,
            ttl=profile.ttl_seconds,
        )
    if name == "vllm":
        return VLLMModel(block_size=max(1, profile.block_tokens))
    if name == "openai":
        return OpenAIModel(
            minimum=minimum,
            increment=profile.block_tokens,
            routing_tokens=profile.routing_prefix_tokens if options.openai_routing else None,
            overflow_rpm=options.openai_overflow_rpm,
            ttl=profile.ttl_seconds,
        )
    return OpenAIModel(
        minimum=minimum,
        increment=profile.block_tokens,
        routing_tokens=None,
        ttl=profile.ttl_seconds,
    )
