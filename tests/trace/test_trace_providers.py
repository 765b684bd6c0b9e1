"""`trace` per provider: vendor profiles and routers, Gemini bodies, server-side tools, output reuse,
the Anthropic breakpoint causes, and the agreement figures of the summary. Logs are written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from promptlint.providers import build_profiles, default_profile_data, route
from promptlint.trace.command import trace
from promptlint.trace.normalise import parse_line

POLICY = "You are the returns assistant of a furniture shop. Follow the returns policy exactly. " * 60


def run(tmp_path: Path, rows: list[dict[str, Any]], *args: str) -> dict[str, Any]:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(trace, [str(log), "--output-format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def misses(data: dict[str, Any]) -> list[tuple[int, str | None]]:
    return [(e["line"], e["cause"]) for e in data["events"] if e["kind"] == "miss"]


def chat(
    model: str, messages: list[dict[str, Any]], prompt: int, cached: int, **wrapper: Any
) -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    return {"request": {"model": model, "messages": messages}, "response": {"usage": usage}, **wrapper}


def turns(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": POLICY}]
    for i in range(n):
        out += [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": f"answer {i}"}]
    return out + [{"role": "user", "content": f"question {n}"}]


# --- vendors and routers ---------------------------------------------------------------------------


def test_a_host_in_the_log_picks_the_vendor_profile() -> None:
    profiles = build_profiles(default_profile_data())
    row = chat(
        "llama-3.3-70b-versatile", turns(0), 100, 0, url="https://api.groq.com/openai/v1/chat/completions"
    )
    request = parse_line(1, row)
    assert request.host == "api.groq.com"
    profile, model = route(profiles, request.provider, request.model, request.host)
    assert (profile.name, model) == ("groq", "llama-3.3-70b-versatile")
    assert profile.price_for(model).hit == 0.5


def test_openrouter_hands_an_anthropic_model_to_anthropics_rules(tmp_path: Path) -> None:
    # Without cache_control, Anthropic caches nothing: a zero hit is what its rules expect, not a miss
    # the OpenAI default would have claimed (1,024-token automatic caching).
    rows = [
        chat(
            "anthropic/claude-sonnet-4-5",
            turns(0),
            2600,
            0,
            url="https://openrouter.ai/api/v1/chat/completions",
        ),
        chat(
            "anthropic/claude-sonnet-4-5",
            turns(1),
            2620,
            0,
            url="https://openrouter.ai/api/v1/chat/completions",
        ),
    ]
    data = run(tmp_path, rows)
    assert data["summary"]["expected_cached_tokens"] == 0
    assert misses(data) == [(2, "no-breakpoint")]
    assert data["events"][0]["provider"] == "anthropic"
    openai_rows = [
        chat("openai/gpt-4o", turns(0), 2600, 0, provider="openrouter"),
        chat("openai/gpt-4o", turns(1), 2620, 2560, provider="openrouter"),
    ]
    data = run(tmp_path, openai_rows)
    assert misses(data) == [] and data["summary"]["expected_cached_tokens"] == 2560  # 1,024 + 128k


def test_a_vendor_without_a_published_minimum_never_gets_below_minimum(tmp_path: Path) -> None:
    short = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    longer = [*short, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "and?"}]
    rows = [chat("mistral-small-latest", short, 12, 0, provider="mistral")]
    rows.append(chat("mistral-small-latest", longer, 20, 0, provider="mistral"))
    causes = [cause for _, cause in misses(run(tmp_path, rows))]
    assert "below-minimum" not in causes


# --- Gemini native bodies ----------------------------------------------------------------------------


def gemini(texts: list[str], prompt: int, cached: int) -> dict[str, Any]:
    contents = [
        {"role": "user" if i % 2 == 0 else "model", "parts": [{"text": text}]} for i, text in enumerate(texts)
    ]
    return {
        "url": "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
        "request": {"systemInstruction": {"parts": [{"text": POLICY}]}, "contents": contents},
        "response": {"usageMetadata": {"promptTokenCount": prompt, "cachedContentTokenCount": cached}},
    }


def test_gemini_generate_content_bodies_are_read(tmp_path: Path) -> None:
    request = parse_line(1, gemini(["hi"], 1300, 0))
    assert (request.provider, request.model) == ("gemini", "gemini-2.5-flash")
    assert [(i.section, i.role) for i in request.items] == [("system", "system"), ("messages", "user")]
    rows = [gemini(["hi"], 1300, 0), gemini(["hi", "hello", "more"], 1310, 1290)]
    data = run(tmp_path, rows)
    assert data["summary"]["malformed_lines"] == 0 and misses(data) == []
    edited = dict(gemini(["hi"], 1300, 0))
    edited["request"] = {
        **edited["request"],
        "systemInstruction": {"parts": [{"text": "Today 2026-12-07. " + POLICY}]},
    }
    assert misses(run(tmp_path, [gemini(["hi"], 1300, 0), edited])) == [(2, "system-changed")]


# --- server-side tools --------------------------------------------------------------------------------


def test_server_side_tool_tokens_are_not_prefix_tokens(tmp_path: Path) -> None:
    # A short body with Anthropic's web search: the reported input (8,192) is mostly search results
    # the server added, so losing it is not a prefix miss of 8,192 tokens.
    def row(question: str) -> dict[str, Any]:
        return {
            "request": {
                "model": "claude-sonnet-4-5",
                "tools": [{"type": "web_search_20250305", "name": "web_search"}],
                "messages": [{"role": "user", "content": question}],
            },
            "response": {"usage": {"input_tokens": 8192, "cache_read_input_tokens": 0, "output_tokens": 50}},
        }

    data = run(tmp_path, [row("weather in Oslo?"), row("weather in Oslo? and Bergen?")])
    assert all(e["tokens_lost"] < 100 for e in data["events"] if e["kind"] == "miss")
    assert data["summary"]["prompt_tokens"] == 0  # the reported input is not the body's size


# --- output reuse -------------------------------------------------------------------------------------


def test_a_hit_reaching_into_the_previous_reply_agrees(tmp_path: Path) -> None:
    first = chat("gpt-5", turns(0), 3000, 0)
    first["response"]["usage"]["completion_tokens"] = 900  # with reasoning tokens
    second = chat("gpt-5", turns(1), 3950, 3840)  # more than the 3,000 input the first request had
    data = run(tmp_path, [first, second])
    summary = data["summary"]
    assert summary["output_reuse"] == 1 and summary["follow_up_mismatches"] == 0
    assert summary["follow_up_agreement"] == 1.0


# --- Anthropic breakpoints ----------------------------------------------------------------------------


def anthropic(blocks: list[str], marks: set[int], read: int, write: int, total: int) -> dict[str, Any]:
    content = [
        {"type": "text", "text": text, **({"cache_control": {"type": "ephemeral"}} if i in marks else {})}
        for i, text in enumerate(blocks)
    ]
    usage = {
        "input_tokens": total - read - write,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }
    return {
        "request": {
            "model": "claude-sonnet-4-5",
            "system": POLICY,
            "messages": [{"role": "user", "content": content}],
        },
        "response": {"usage": usage},
    }


BLOCKS = [f"Document {i}: " + "shelf and table specifications. " * 12 for i in range(30)]


def test_a_marker_moved_back_misses_the_entry_written_last_time(tmp_path: Path) -> None:
    rows = [anthropic(BLOCKS[:10], {9}, 0, 4000, 4000), anthropic(BLOCKS[:10], {2}, 0, 2000, 4000)]
    assert misses(run(tmp_path, rows)) == [(2, "breakpoint-moved")]


def test_a_marker_more_than_20_blocks_after_the_entry_is_out_of_lookback(tmp_path: Path) -> None:
    rows = [anthropic(BLOCKS[:3], {2}, 0, 2000, 2000), anthropic(BLOCKS, {29}, 0, 9000, 9000)]
    assert misses(run(tmp_path, rows)) == [(2, "breakpoint-lookback")]


def test_too_many_markers_and_unread_writes(tmp_path: Path) -> None:
    rows = [anthropic(BLOCKS[:10], {9}, 0, 4000, 4000), anthropic(BLOCKS[:10], {1, 3, 5, 7, 9}, 0, 0, 4000)]
    data = run(tmp_path, rows)
    assert misses(data) == [(2, "too-many-breakpoints")]
    assert data["summary"]["cache_write_tokens_never_read"] == 4000
    read = [anthropic(BLOCKS[:10], {9}, 0, 4000, 4000), anthropic(BLOCKS[:11], {10}, 4000, 300, 4300)]
    assert run(tmp_path, read)["summary"]["cache_write_tokens_never_read"] == 300


def test_an_anthropic_entry_the_provider_showed_is_expected_again(tmp_path: Path) -> None:
    # The first request reads 1,200 tokens (the system prompt) from an entry written by traffic the
    # log does not hold; the next one, asking another question after the same system prompt, reads
    # it again. The rules alone expect nothing (no marker was written there in the log), but the
    # provider showed the entry exists: the hit agrees (only the first, cold request cached more).
    rows = [anthropic(["Say hello."], {0}, 1200, 0, 1205), anthropic(["Say goodbye."], {0}, 1200, 0, 1205)]
    summary = run(tmp_path, rows)["summary"]
    assert summary["follow_up_mismatches"] == 0 and summary["provider_cached_more_than_expected"] == 1
    # An automatic (best-effort, routed) cache promises nothing from one hit: a miss after it is
    # the provider serving less, as before.
    other = [chat("gpt-4o", turns(0), 2600, 2560), chat("gpt-4o", turns(0), 2600, 0)]
    other[1]["request"]["messages"][-1]["content"] = "another question"
    assert run(tmp_path, other)["summary"]["provider_cached_less_than_expected"] == 1


def test_fail_on_breakpoint_covers_its_anthropic_cases(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    rows = [anthropic(BLOCKS[:10], {9}, 0, 4000, 4000), anthropic(BLOCKS[:10], {2}, 0, 2000, 4000)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert CliRunner().invoke(trace, [str(log), "--fail-on", "breakpoint"]).exit_code == 1
    assert CliRunner().invoke(trace, [str(log), "--fail-on", "timestamp"]).exit_code == 0


# --- what the report says -----------------------------------------------------------------------------


def test_an_unexplained_miss_names_no_place(tmp_path: Path) -> None:
    # Two single-turn requests share the system prompt and differ where they should (the question);
    # the provider still cached nothing (eviction): the question is not where the miss happened.
    rows = [chat("gpt-4o", turns(0), 2600, 0), chat("gpt-4o", turns(0), 2600, 0)]
    rows[1]["request"]["messages"][-1]["content"] = "another question"
    data = run(tmp_path, rows)
    (event,) = [e for e in data["events"] if e["kind"] == "miss"]
    assert event["cause"] is None and event["section"] is None and event["offset"] is None
    text = CliRunner().invoke(trace, [str(tmp_path / "log.jsonl")]).output
    assert "(no prefix change)" in text.splitlines()[0] and "char" not in text.splitlines()[0]
    assert data["summary"]["follow_up_agreement"] == 0.0
    assert data["summary"]["provider_cached_less_than_expected"] == 1


def test_the_summary_ranks_causes_and_conversations_by_loss(tmp_path: Path) -> None:
    clock = [{"role": "system", "content": "Now 10:00. " + POLICY}, {"role": "user", "content": "hi"}]
    later = [{"role": "system", "content": "Now 10:01. " + POLICY}, {"role": "user", "content": "hi"}]
    small = [{"role": "system", "content": POLICY[:4400]}, {"role": "user", "content": "x"}]
    small_edit = [{"role": "system", "content": "Note. " + POLICY[:4400]}, {"role": "user", "content": "x"}]
    rows = [
        chat("gpt-4o", clock, 2600, 0, conversation_id="big"),
        chat("gpt-4o", later, 2600, 0, conversation_id="big"),
        chat("gpt-4o", small, 1100, 0, conversation_id="small"),
        chat("gpt-4o", small_edit, 1100, 0, conversation_id="small"),
    ]
    ranked = run(tmp_path, rows)["summary"]["ranked"]
    assert [c["cause"] for c in ranked["causes"]] == ["timestamp", "system-changed"]
    assert [c["conversation"] for c in ranked["conversations"]] == [
        "conversation_id=big",
        "conversation_id=small",
    ]
    assert ranked["causes"][0]["input_token_equivalents"] > ranked["causes"][1]["input_token_equivalents"] > 0


def test_below_minimum_is_a_miss_only_when_the_prompt_fell_under_it(tmp_path: Path) -> None:
    short = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    always_short = [
        chat("gpt-4o", short, 40, 0),
        chat("gpt-4o", [*short[:1], {"role": "user", "content": "yo"}], 40, 0),
    ]
    data = run(tmp_path, always_short)
    assert misses(data) == [] and data["summary"]["below_minimum_requests"] == 1
    long_system = [{"role": "system", "content": POLICY}, {"role": "user", "content": "hi"}]
    cut = [{"role": "system", "content": POLICY[:1500]}, {"role": "user", "content": "hi"}]
    shrank = [
        chat("gpt-4o", long_system, 1300, 0, conversation_id="c"),
        chat("gpt-4o", cut, 400, 0, conversation_id="c"),
    ]
    assert misses(run(tmp_path, shrank)) == [(2, "below-minimum")]


def test_a_model_without_implicit_caching_expects_nothing(tmp_path: Path) -> None:
    rows = [gemini(["hi"], 1300, 0), gemini(["hi", "hello", "more"], 1310, 0)]
    for row in rows:
        row["url"] = row["url"].replace("gemini-2.5-flash", "gemini-2.0-flash")
    data = run(tmp_path, rows)
    assert misses(data) == [] and data["summary"]["expected_cached_tokens"] == 0
    assert data["summary"]["follow_up_mismatches"] == 0


def test_an_unknown_host_gets_the_rules_of_the_models_maker_and_gateway_usage_is_read() -> None:
    profiles = build_profiles(default_profile_data())
    profile, _ = route(profiles, "models.example-cloud.net", "grok-4-fast")
    assert profile.name == "xai"
    assert route(profiles, "models.example-cloud.net", "claude-sonnet-4-5")[0].name == "anthropic"
    # a gateway that counts only the uncached input as prompt tokens: the total is both
    usage = parse_line(1, chat("grok-4-fast", turns(0), 7, 161)).usage
    assert (usage.prompt_tokens, usage.cached_tokens) == (168, 161)


def test_a_hit_from_an_earlier_unrelated_request_is_expected(tmp_path: Path) -> None:
    # Two apps share a long tool list; the cache keeps the first app's whole prefix, so the third
    # request (the first app again, after the second) hits it although its related request is the
    # second one, which shares only the tools.
    tools = [
        {"type": "function", "function": {"name": f"tool_{i}", "description": "Look up a record. " * 20}}
        for i in range(12)
    ]

    def row(system: str, user: str, prompt: int, cached: int) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        out = chat("gpt-4o", messages, prompt, cached)
        out["request"]["tools"] = tools
        return out

    rows = [row(POLICY, "a", 2600, 0), row("Returns desk.", "b", 1300, 1280), row(POLICY, "c", 2600, 2560)]
    summary = run(tmp_path, rows)["summary"]
    assert summary["follow_up_mismatches"] == 0


def test_tool_types_name_only_tools_the_provider_runs() -> None:
    anthropic_custom = {"name": "lookup", "description": "Find an order.", "input_schema": {"type": "object"}}
    body = {
        "model": "claude-sonnet-4-5",
        "tools": [anthropic_custom, {"type": "web_search_20250305", "name": "web_search"}],
        "messages": [],
    }
    assert parse_line(1, body).tool_types == ("web_search_20250305",)
    gemini_body = {"contents": "hi", "tools": [{"functionDeclarations": []}, {"googleSearch": {}}]}
    assert parse_line(1, gemini_body).tool_types == ("googleSearch",)


def test_a_malformed_url_field_does_not_stop_the_log(tmp_path: Path) -> None:
    rows = [
        chat("gpt-4o", turns(0), 100, 0, url="http://[api.openai.com/v1/chat"),
        chat("gpt-4o", turns(1), 120, 0),
    ]
    assert run(tmp_path, rows)["summary"]["requests"] == 2


def test_malformed_gemini_parts_are_read_not_crashed_on(tmp_path: Path) -> None:
    rows = [
        {"contents": [{"parts": 5}], "systemInstruction": {"parts": "be brief"}},
        {"request": {"contents": [{"role": "user", "parts": {"text": "hi"}}, "stray"]}},
    ]
    assert run(tmp_path, rows)["summary"]["requests"] == 2


# --- images billed above what the model reads ------------------------------------------------------


def _image_turn(model: str, prompt: int, cached: int) -> dict[str, Any]:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "iVBORw0KGgo" * 3000}}
    messages = [
        {"role": "system", "content": "You describe charts."},
        {"role": "user", "content": [{"type": "text", "text": "Describe this image."}, image]},
    ]
    return chat(model, messages, prompt, cached)


def test_an_image_billed_at_a_multiple_is_too_short_to_cache(tmp_path: Path) -> None:
    # gpt-4o-mini bills an image at about 33x what the model reads: 14,213 billed tokens are about 470
    # read ones, under the 1,024 minimum, so an identical repeat is not expected to hit (as recorded).
    data = run(tmp_path, [_image_turn("gpt-4o-mini", 14213, 0), _image_turn("gpt-4o-mini", 14213, 0)])
    assert misses(data) == []
    assert data["summary"]["follow_up_mismatches"] == 0


def test_the_same_image_on_a_model_billed_as_read_is_expected_to_hit(tmp_path: Path) -> None:
    data = run(tmp_path, [_image_turn("gpt-4o", 14213, 0), _image_turn("gpt-4o", 14213, 0)])
    assert data["summary"]["follow_up_mismatches"] == 1
    assert [e["line"] for e in data["events"] if e["kind"] == "miss"] == [2]


def test_a_content_part_with_an_unhashable_type_is_read_not_a_crash(tmp_path: Path) -> None:
    part = {"type": ["image"], "text": "x"}
    row = chat("gpt-4o-mini", [{"role": "user", "content": [part]}], 100, 0)
    data = run(tmp_path, [row, row])
    assert data["summary"]["malformed_lines"] == 0
