"""Cache models against the providers' documented behaviour and worked examples."""

from __future__ import annotations

import pytest

from promptlint.providers import build_profiles, default_profile_data
from promptlint.simulate.anthropic import AnthropicModel, TooManyBreakpoints
from promptlint.simulate.base import SimRequest, common_prefix_len
from promptlint.simulate.deepseek import DeepSeekModel
from promptlint.simulate.factory import ModelOptions, build_model
from promptlint.simulate.openai import OpenAIModel, floor_hit
from promptlint.simulate.vllm import VLLMModel


def seq(start: int, n: int) -> tuple[int, ...]:
    return tuple(range(start, start + n))


A, B, C, D = seq(0, 300), seq(10_000, 50), seq(20_000, 40), seq(30_000, 45)


def req(tokens: tuple[int, ...], **kw: object) -> SimRequest:
    return SimRequest(tokens=tokens, **kw)  # type: ignore[arg-type]


# --- DeepSeek -------------------------------------------------------------------------------


def test_deepseek_example_1_multi_round_hits_previous_input_unit() -> None:
    model = DeepSeekModel()
    assert model.serve(req(A + B)).cached_tokens == 0
    second = model.serve(req(A + B + C))
    assert second.cached_tokens == len(A + B)
    assert second.uncached_tokens == len(C)


def test_deepseek_example_2_common_prefix_persisted_after_the_second_request() -> None:
    model = DeepSeekModel()
    assert model.serve(req(A + B)).cached_tokens == 0
    # A+C does not fully match the unit A+B: miss, even though A is shared.
    assert model.serve(req(A + C)).cached_tokens == 0
    # ... but A is now persisted, so A+D hits A.
    assert model.serve(req(A + D)).cached_tokens == len(A)


def test_deepseek_common_prefix_is_not_available_to_the_request_that_revealed_it() -> None:
    model = DeepSeekModel()
    model.serve(req(A + B))
    model.serve(req(A + C))
    assert A in model.units()
    assert A + B in model.units() and A + C in model.units()


def test_deepseek_output_unit_requires_byte_identical_replay() -> None:
    model = DeepSeekModel()
    out = seq(40_000, 30)
    model.serve(req(A + B, output=out))
    assert model.serve(req(A + B + out + C)).cached_tokens == len(A + B + out)
    other = DeepSeekModel()
    other.serve(req(A + B, output=out))
    edited = out[:-1] + (99,)
    assert other.serve(req(A + B + edited + C)).cached_tokens == len(A + B)


def test_deepseek_fixed_interval_units() -> None:
    model = DeepSeekModel(interval=100)
    model.serve(req(A + B))
    # A+C shares 300 tokens with A+B; interval units at 100, 200, 300 are persisted already.
    assert model.serve(req(A + C)).cached_tokens == 300


def test_deepseek_legacy_mode_floors_to_64_and_ignores_short_prefixes() -> None:
    model = DeepSeekModel(legacy=True)
    model.serve(req(A + B))
    assert model.serve(req(A + C)).cached_tokens == 256  # 300 floored to 64-token units
    short = DeepSeekModel(legacy=True)
    short.serve(req(seq(0, 50) + B))
    assert short.serve(req(seq(0, 50) + C)).cached_tokens == 0


def test_deepseek_user_id_isolates_caches() -> None:
    model = DeepSeekModel()
    model.serve(req(A + B, key="alice"))
    assert model.serve(req(A + B + C, key="bob")).cached_tokens == 0
    assert model.serve(req(A + B + C, key="alice")).cached_tokens == len(A + B)


def test_deepseek_units_expire_after_ttl() -> None:
    model = DeepSeekModel(ttl=60)
    model.serve(req(A + B, time=0))
    assert model.serve(req(A + B + C, time=500)).cached_tokens == 0


# --- OpenAI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 0), (1023, 0), (1024, 1024), (1151, 1024), (1152, 1152), (1300, 1280), (2048, 2048)],
)
def test_openai_hits_are_1024_plus_128_steps(length: int, expected: int) -> None:
    assert floor_hit(length, 1024, 128) == expected


def test_openai_longest_prefix_floored() -> None:
    model = OpenAIModel()
    base = seq(0, 1300)
    assert model.serve(req(base + seq(50_000, 10))).cached_tokens == 0
    assert model.serve(req(base + seq(60_000, 10))).cached_tokens == 1280


def test_openai_below_minimum_never_hits() -> None:
    model = OpenAIModel()
    base = seq(0, 950)  # 1,000 tokens with B
    model.serve(req(base + B))
    assert model.serve(req(base + B)).cached_tokens == 0


def test_openai_routing_by_cache_key_separates_machines() -> None:
    base = seq(0, 2000)
    routed = OpenAIModel()
    routed.serve(req(base, key="k1"))
    assert routed.serve(req(base + C, key="k2")).cached_tokens == 0
    assert routed.serve(req(base + D, key="k1")).cached_tokens == 1920
    unrouted = OpenAIModel(routing_tokens=None)
    unrouted.serve(req(base, key="k1"))
    assert unrouted.serve(req(base + C, key="k2")).cached_tokens == 1920


def test_openai_overflow_spills_to_fresh_machines() -> None:
    model = OpenAIModel(overflow_rpm=2)
    base = seq(0, 2000)
    hits = [model.serve(req(base + (i,), time=float(i))).cached_tokens for i in range(5)]
    # requests 0,1 on machine 0; 2,3 on machine 1 (cold for request 2); 4 on machine 2 (cold)
    assert hits == [0, 1920, 0, 1920, 0]


def test_openai_ttl() -> None:
    model = OpenAIModel(ttl=600)
    base = seq(0, 2000)
    model.serve(req(base, time=0))
    assert model.serve(req(base, time=1000)).cached_tokens == 0


# --- Anthropic ------------------------------------------------------------------------------


def blocks(n: int, size: int = 100, salt: int = 0) -> tuple[tuple[int, ...], tuple[int, ...]]:
    tokens = tuple(range(salt, salt + n * size))
    return tokens, tuple(size * (i + 1) for i in range(n))


def test_anthropic_writes_only_at_breakpoints_and_reads_them() -> None:
    model = AnthropicModel(minimum_for=lambda _m: 1024)
    tokens, ends = blocks(15)
    first = model.serve(req(tokens, block_ends=ends, breakpoints=(11,)))
    assert (first.cached_tokens, first.write_tokens) == (0, 1200)
    second = model.serve(req(tokens, block_ends=ends, breakpoints=(11,)))
    assert (second.cached_tokens, second.write_tokens) == (1200, 0)


def test_anthropic_no_breakpoint_means_no_cache() -> None:
    model = AnthropicModel()
    tokens, ends = blocks(15)
    model.serve(req(tokens, block_ends=ends))
    assert model.serve(req(tokens, block_ends=ends)).cached_tokens == 0


def test_anthropic_lookback_is_20_blocks_counting_the_breakpoint() -> None:
    tokens, ends = blocks(40, size=60)
    model = AnthropicModel(minimum_for=lambda _m: 1024)
    model.serve(req(tokens, block_ends=ends, breakpoints=(19,)))  # writes an entry at block 19
    # breakpoint at block 38: positions 38..19 are checked (20 positions) -> finds block 19
    assert model.serve(req(tokens, block_ends=ends, breakpoints=(38,))).cached_tokens == 1200
    model2 = AnthropicModel(minimum_for=lambda _m: 1024)
    model2.serve(req(tokens, block_ends=ends, breakpoints=(19,)))
    # breakpoint at block 39: positions 39..20 -> the entry at 19 is out of reach
    assert model2.serve(req(tokens, block_ends=ends, breakpoints=(39,))).cached_tokens == 0


def test_anthropic_lookback_does_not_discover_unmarked_prefixes() -> None:
    model = AnthropicModel(minimum_for=lambda _m: 100)
    tokens, ends = blocks(10)
    model.serve(req(tokens, block_ends=ends, breakpoints=(9,)))
    changed = tokens[:-1] + (-1,)  # last block differs
    # the shared 900-token prefix was never written at a breakpoint: miss
    assert model.serve(req(changed, block_ends=ends, breakpoints=(9,))).cached_tokens == 0


def test_anthropic_breakpoint_on_volatile_block_writes_every_time() -> None:
    model = AnthropicModel(minimum_for=lambda _m: 100)
    tokens, ends = blocks(5)
    for i in range(3):
        varied = tokens[:-1] + (-(i + 1),)
        outcome = model.serve(req(varied, block_ends=ends, breakpoints=(4,)))
        assert (outcome.cached_tokens, outcome.write_tokens) == (0, 500)


def test_anthropic_per_model_minimum_from_profile() -> None:
    profile = build_profiles(default_profile_data())["anthropic"]
    tokens, ends = blocks(30)  # 3000 tokens
    for model_name, cached in (("claude-sonnet-4-5-20250929", 3000), ("claude-opus-4-6", 0)):
        model = AnthropicModel(minimum_for=profile.minimum_for)
        model.serve(req(tokens, block_ends=ends, breakpoints=(29,), model=model_name))
        second = model.serve(req(tokens, block_ends=ends, breakpoints=(29,), model=model_name))
        assert second.cached_tokens == cached, model_name


def test_anthropic_automatic_mode_moves_forward() -> None:
    model = AnthropicModel(minimum_for=lambda _m: 100)
    tokens, ends = blocks(5)
    model.serve(req(tokens, block_ends=ends, automatic=True))
    longer = tokens + seq(90_000, 100)
    outcome = model.serve(req(longer, block_ends=ends + (600,), automatic=True))
    assert (outcome.cached_tokens, outcome.write_tokens) == (500, 100)


def test_anthropic_more_than_four_breakpoints_is_rejected() -> None:
    tokens, ends = blocks(6)
    with pytest.raises(TooManyBreakpoints):
        AnthropicModel().serve(req(tokens, block_ends=ends, breakpoints=(0, 1, 2, 3), automatic=True))


def test_anthropic_model_switch_invalidates() -> None:
    model = AnthropicModel(minimum_for=lambda _m: 100)
    tokens, ends = blocks(5)
    model.serve(req(tokens, block_ends=ends, breakpoints=(4,), model="claude-a"))
    assert model.serve(req(tokens, block_ends=ends, breakpoints=(4,), model="claude-b")).cached_tokens == 0


# --- vLLM -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(16, 0), (17, 16), (32, 16), (33, 32), (100, 96)])
def test_vllm_hit_is_floor_n_minus_1_over_block(n: int, expected: int) -> None:
    model = VLLMModel(block_size=16)
    model.serve(req(seq(0, n)))
    assert model.serve(req(seq(0, n))).cached_tokens == expected


def test_vllm_partial_block_and_salt() -> None:
    model = VLLMModel(block_size=16)
    model.serve(req(seq(0, 40)))
    assert model.serve(req(seq(0, 40) + seq(100, 10))).cached_tokens == 32
    assert model.serve(req(seq(0, 40) + seq(100, 10), key="other-salt")).cached_tokens == 0


def test_vllm_lru_capacity_evicts_tail_first() -> None:
    model = VLLMModel(block_size=16, capacity=2)
    model.serve(req(seq(0, 64)))  # 4 blocks, only 2 kept: the first two (tail freed first)
    assert model.serve(req(seq(0, 64))).cached_tokens == 32


# --- shared ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "n"), [("", "x", 0), ("abc", "abd", 2), ("abc", "abc", 3), ("abc", "abcdef", 3), ("x", "y", 0)]
)
def test_common_prefix_len(a: str, b: str, n: int) -> None:
    assert common_prefix_len(a, b) == n


def test_build_model_per_provider() -> None:
    profiles = build_profiles(default_profile_data())
    assert isinstance(build_model(profiles["deepseek"]), DeepSeekModel)
    assert isinstance(build_model(profiles["vllm"]), VLLMModel)
    assert isinstance(build_model(profiles["anthropic"]), AnthropicModel)
    legacy = build_model(profiles["deepseek"], options=ModelOptions(deepseek_legacy=True))
    assert isinstance(legacy, DeepSeekModel) and legacy.legacy
    gemini = build_model(profiles["gemini"], "gemini-2.5-pro")
    assert isinstance(gemini, OpenAIModel) and gemini.minimum == 4096 and gemini.increment == 1
