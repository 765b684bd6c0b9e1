"""Request synthesis, the what-if transformation, whole simulations, reports and the click command."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from promptlint.diagnostics import Span
from promptlint.ir import (
    CacheBreakpoint,
    Granularity,
    Part,
    Prompt,
    Provider,
    Role,
    Slot,
    Stability,
    Text,
    VolatileKind,
)
from promptlint.providers import build_profiles, default_profile_data
from promptlint.simulate import command as command_module
from promptlint.simulate.report import render_html, render_json, render_table
from promptlint.simulate.run import compare, simulate_prompt
from promptlint.simulate.synth import SynthOptions, render_requests
from promptlint.simulate.whatif import move_dynamic_to_end
from promptlint.tokens import load_encoding

S = Span(0, 1)
STATIC_TEXT = "You are a careful support assistant. Follow the policy below exactly.\n" + "".join(
    f"Rule {i}: answer politely, cite the order number, and never promise refunds over the limit.\n"
    for i in range(120)
)


def clock(granularity: Granularity = Granularity.SECOND) -> Slot:
    return Slot(
        "now", S, Stability.VOLATILE, cause="datetime.now()", kind=VolatileKind.TIME, granularity=granularity
    )


def make_prompt(provider: Provider = Provider.OPENAI, lead: Slot | None = None) -> Prompt:
    system: list[Text | Slot] = [Text("Current time: ", S)] if lead is not None else []
    if lead is not None:
        system.append(lead)
    system.append(Text("\n" + STATIC_TEXT, S))
    return Prompt(
        provider=provider,
        site=S,
        parts=(
            Part(Role.SYSTEM, tuple(system), S),
            Part(Role.USER, (Slot("question", S, Stability.REQUEST),), S),
        ),
    )


@pytest.fixture(scope="module")
def encode():  # type: ignore[no-untyped-def]
    return load_encoding("o200k_base").encode_ordinary


@pytest.fixture(scope="module")
def profiles():  # type: ignore[no-untyped-def]
    return build_profiles(default_profile_data())


def test_render_is_deterministic_and_follows_stability() -> None:
    prompt = Prompt(
        provider=Provider.OPENAI,
        site=S,
        parts=(
            Part(
                Role.SYSTEM,
                (
                    Slot("app", S, Stability.DEPLOYMENT),
                    Slot("user_name", S, Stability.SESSION),
                    Slot("rid", S, Stability.VOLATILE, kind=VolatileKind.ID),
                ),
                S,
            ),
        ),
    )
    opts = SynthOptions(requests=30, users=3, seed=7)
    first = [r.text for r in render_requests(prompt, opts)]
    assert first == [r.text for r in render_requests(prompt, opts)]
    assert len({t.split("[user_name")[0] for t in first}) == 1  # deployment value fixed
    sessions = {re.search(r"\[user_name of user \d+: [^\]]*\]", t).group(0) for t in first}  # type: ignore[union-attr]
    assert len(sessions) == 3  # one value per synthetic user
    ids = {t.rsplit("]", 1)[1] for t in first}
    assert len(ids) == 30  # a new id every request


def test_day_granularity_clock_is_stable_within_a_day() -> None:
    prompt = make_prompt(lead=clock(Granularity.DAY))
    texts = {r.text.split("\n")[1] for r in render_requests(prompt, SynthOptions(requests=20))}
    assert texts == {"Current time: 2026-11-22"}


def test_breakpoint_inside_a_part_splits_blocks() -> None:
    base = make_prompt(Provider.ANTHROPIC, lead=clock())
    prompt = Prompt(base.provider, S, base.parts, breakpoints=(CacheBreakpoint(0, 0, S),))
    (rendered,) = list(render_requests(prompt, SynthOptions(requests=1)))
    assert rendered.breakpoints == (0,)
    assert rendered.blocks[0] == "<|system|>\nCurrent time: "
    assert len(rendered.blocks) == 3


def test_whatif_moves_dynamic_slots_before_static_text_to_the_end() -> None:
    prompt = make_prompt(lead=clock())
    fixed = move_dynamic_to_end(prompt)
    assert [type(s).__name__ for s in fixed.parts[0].segments] == ["Text", "Text"]
    assert [s.label for s in fixed.parts[1].segments if isinstance(s, Slot)] == ["question", "now"]
    # nothing to move: unchanged object
    clean = make_prompt()
    assert move_dynamic_to_end(clean) is clean


def test_whatif_remaps_breakpoints() -> None:
    base = make_prompt(Provider.ANTHROPIC, lead=clock())
    prompt = Prompt(base.provider, S, base.parts, breakpoints=(CacheBreakpoint(0, 2, S),))
    fixed = move_dynamic_to_end(prompt)
    assert fixed.breakpoints[0].segment == 1  # still after the static instructions


@pytest.mark.parametrize("provider", ["openai", "deepseek", "anthropic", "gemini", "vllm"])
def test_timestamp_in_system_prompt_kills_hits_and_fix_restores_them(provider, encode, profiles) -> None:  # type: ignore[no-untyped-def]
    prompt = make_prompt(
        Provider(provider) if provider in Provider.__members__.values() else Provider.OPENAI, clock()
    )
    if provider == "anthropic":
        prompt = Prompt(prompt.provider, S, prompt.parts, breakpoints=(CacheBreakpoint(0, 2, S),))
    synth = SynthOptions(requests=40, users=5)
    comp = compare(prompt, profiles[provider], encode, label="p", synth=synth)
    assert comp.before.hit_ratio < 0.05
    assert comp.after.hit_ratio > 0.6
    assert comp.after.relative_cost < comp.before.relative_cost


def test_deepseek_common_prefix_rule_in_a_full_simulation(encode, profiles) -> None:  # type: ignore[no-untyped-def]
    result = simulate_prompt(
        make_prompt(Provider.DEEPSEEK), profiles["deepseek"], encode, synth=SynthOptions(requests=3)
    )
    # request 1 and 2 miss (common prefix persisted only after request 2), request 3 hits
    assert result.requests_with_hit == 1
    assert result.cost_uncached > result.cost_cached > 0


def test_reports(encode, profiles) -> None:  # type: ignore[no-untyped-def]
    comp = compare(
        make_prompt(lead=clock()),
        profiles["openai"],
        encode,
        label="app.py:3:1",
        synth=SynthOptions(requests=10),
    )
    table = render_table([comp])
    assert "as written" in table and "after fix" in table and "app.py:3:1" in table
    data = json.loads(render_json([comp]))
    assert data[0]["before"]["requests"] == 10 and data[0]["after"]["hit_ratio"] > 0
    page = render_html([comp])
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    widths = [float(w) for w in re.findall(r'class="bar" x="\d+" y="\d+" width="([\d.]+)"', page)]
    assert len(widths) == 4 and widths[1] > widths[0]  # after-fix hit ratio bar is longer


def test_command_uses_extract_prompts(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Source:
        path = "app.py"
        lines = None

    monkeypatch.setattr(
        command_module, "_extractor", lambda: lambda paths: [(Source(), make_prompt(lead=clock()))]
    )
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        command_module.simulate, [str(tmp_path), "-n", "5", "--output-format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())[0]["prompt"] == "app.py"
