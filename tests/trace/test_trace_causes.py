"""`trace` on SDK-shaped JSONL fixtures: cause classification, usage parsing, redaction, streaming."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from promptlint.providers import build_profiles, default_profile_data
from promptlint.trace.command import run_trace, trace
from promptlint.trace.diverge import content_cause, is_sliding_window
from promptlint.trace.normalise import Item, parse_line
from promptlint.trace.report import JsonWriter
from promptlint.trace.tracker import Tracker

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "trace"


def run_json(name: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(trace, [str(FIXTURES / name), "--output-format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def misses(data: dict[str, Any]) -> list[tuple[int, str | None]]:
    return [(e["line"], e["cause"]) for e in data["events"] if e["kind"] == "miss"]


def test_timestamp_in_openai_system_prompt() -> None:
    data = run_json("openai_chat_timestamp.jsonl")
    assert misses(data) == [(2, "timestamp"), (3, "timestamp"), (4, "timestamp")]
    first = data["events"][0]
    assert (first["section"], first["message_index"], first["offset"]) == ("system", 0, 29)
    assert "10:00:00" in first["was"] and "10:01:17" in first["now"]
    assert first["tokens_lost"] > 1024 and first["currency"] == "x-input"
    assert data["summary"]["causes"] == {"timestamp": 3}


def test_conversation_history_edit_sliding_window_and_tools() -> None:
    data = run_json("openai_chat_conversation.jsonl")
    assert misses(data) == [(5, "history-edited"), (6, "sliding-window"), (7, "tools-changed")]
    edit = data["events"][0]
    assert edit["message_index"] == 2 and edit["conversation"] == "conversation_id=conv-7"
    # the appended turns (lines 2-4) hit as the OpenAI rules predict: not reported as misses
    assert data["summary"]["cold_requests"] == 1


def test_json_key_order() -> None:
    assert misses(run_json("openai_chat_json_order.jsonl")) == [(2, "json-key-order")]


def test_responses_api_request_id() -> None:
    data = run_json("responses_request_id.jsonl")
    assert misses(data) == [(2, "id")]
    assert data["events"][0]["section"] == "system"


def test_anthropic_breakpoint_model_change_and_minimum() -> None:
    data = run_json("anthropic_messages.jsonl")
    # the only marker is on the varying user message: each request writes an entry nobody reads
    assert misses(data) == [
        (2, "breakpoint-too-late"),
        (3, "breakpoint-too-late"),
        (4, "model-changed"),
    ]
    # line 6 is under Haiku's minimum, as line 5 was: nothing to cache, counted, not a miss
    assert data["summary"]["below_minimum_requests"] == 1
    model_event = data["events"][2]
    assert (model_event["was"], model_event["now"]) == (
        "claude-sonnet-4-5-20250929",
        "claude-opus-4-1-20250805",
    )
    breakpoint_event = data["events"][0]
    assert breakpoint_event["currency"] == "USD" and breakpoint_event["money_lost"] > 0  # Sonnet 4.x prices


def test_deepseek_usage_and_malformed_lines() -> None:
    data = run_json("deepseek_with_malformed.jsonl")
    malformed = [(e["line"], e["message"]) for e in data["events"] if e["kind"] == "malformed"]
    assert [line for line, _ in malformed] == [4, 5]
    assert "invalid JSON" in malformed[0][1]
    summary = data["summary"]
    assert summary["requests"] == 4 and summary["malformed_lines"] == 2
    # third request hits the persisted common prefix (report + system), as DeepSeek's Example 2 says
    assert summary["reported_cached_tokens"] > 0 and summary["expected_cached_tokens"] > 0
    assert summary["expected_vs_reported_mismatches"] == 0
    assert misses(data) == []


def test_redaction_keeps_prompt_text_out() -> None:
    raw = (FIXTURES / "openai_chat_timestamp.jsonl").read_text()
    result = CliRunner().invoke(trace, [str(FIXTURES / "openai_chat_timestamp.jsonl"), "--redact"])
    assert result.exit_code == 0
    assert "Current time" not in result.output and "Policy" not in result.output
    assert "redacted" in result.output and "timestamp" in result.output
    data = run_json("openai_chat_timestamp.jsonl", "--redact")
    was = data["events"][0]["was"]
    assert set(was) == {"chars", "sha256"} and was["chars"] > 1000
    assert "Current time" in raw  # the fixture does contain the text that was withheld


def test_text_output_mentions_location_and_summary() -> None:
    result = CliRunner().invoke(trace, [str(FIXTURES / "deepseek_with_malformed.jsonl")])
    assert result.exit_code == 0
    assert "line 4: skipped malformed line" in result.output
    assert "4 requests (2 malformed lines skipped" in result.output


@pytest.mark.parametrize(
    ("was", "now", "cause"),
    [
        ("at 2026-11-22 10:00:01 ok", "at 2026-11-22 10:00:59 ok", "timestamp"),
        ("ts=1795000000 x", "ts=1795000123 x", "timestamp"),
        ("Today is Monday, November 3", "Today is Tuesday, November 4", "timestamp"),
        ("req 3f2a9c4e-1b7d-4c8e-9a2f-6d5e4c3b2a10", "req 9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e", "id"),
        ("trace_ab12cd34ef56 go", "trace_99ffee11aa22 go", "id"),
        ('{"a": 1, "b": 2}', '{"b": 2, "a": 1}', "json-key-order"),
        ('data {"a": 1, "b": [1, 2]} end', 'data {"b": [1, 2], "a": 1} end', "json-key-order"),
        ("You are helpful.", "You are terse.", None),
        ('{"a": 1}', '{"a": 2}', None),
    ],
)
def test_content_cause(was: str, now: str, cause: str | None) -> None:
    offset = next(i for i, (x, y) in enumerate(zip(was, now, strict=False)) if x != y)
    assert content_cause(was, now, offset) == cause


def test_sliding_window_detection() -> None:
    assert is_sliding_window(["u1", "a1", "u2", "a2"], ["u2", "a2", "u3"])
    assert not is_sliding_window(["u1", "a1"], ["u1x", "a1"])


def test_bare_request_bodies_and_shapes() -> None:
    anthropic = parse_line(
        1,
        {
            "model": "claude-sonnet-4-5",
            "tools": [{"name": "t", "input_schema": {}, "cache_control": {"type": "ephemeral"}}],
            "system": [{"type": "text", "text": "sys"}],
            "messages": [{"role": "user", "content": "hi"}],
            "cache_control": {"type": "ephemeral"},
        },
    )
    assert anthropic.provider == "anthropic" and anthropic.automatic_breakpoint
    assert [i.section for i in anthropic.items] == ["tools", "system", "messages"]
    assert anthropic.items[0].breakpoint
    responses = parse_line(2, {"model": "gpt-5", "instructions": "be brief", "input": "hello"})
    assert [(i.section, i.text) for i in responses.items] == [("system", "be brief"), ("messages", "hello")]
    usage = parse_line(
        3,
        {
            "request": {"model": "gpt-5", "input": "x"},
            "response": {"usage": {"input_tokens": 2000, "input_tokens_details": {"cached_tokens": 1024}}},
        },
    ).usage
    assert (usage.prompt_tokens, usage.cached_tokens) == (2000, 1024)
    anth_usage = parse_line(
        4,
        {
            "request": {"model": "claude-x", "messages": [{"role": "user", "content": "x"}]},
            "response": {
                "usage": {
                    "input_tokens": 10,
                    "cache_read_input_tokens": 1000,
                    "cache_creation_input_tokens": 5,
                }
            },
        },
    ).usage
    assert (anth_usage.prompt_tokens, anth_usage.cached_tokens, anth_usage.write_tokens) == (1015, 1000, 5)


def test_lru_caps_tracked_conversations() -> None:
    lines = []
    for conv in range(50):
        for turn in range(2):
            msgs = [{"role": "system", "content": "s" * 5000}, {"role": "user", "content": f"c{conv}"}]
            msgs += [{"role": "assistant", "content": "a"}, {"role": "user", "content": "more"}] * turn
            lines.append(
                json.dumps({"conversation_id": f"c{conv}", "request": {"model": "m", "messages": msgs}})
            )
    # interleave so each conversation's second turn comes after 49 others
    order = [lines[2 * c] for c in range(50)] + [lines[2 * c + 1] for c in range(50)]
    tracker = Tracker(build_profiles(default_profile_data()), max_conversations=8)
    out = io.StringIO()
    run_trace(io.BytesIO("\n".join(order).encode()), JsonWriter(out.write), tracker)
    assert len(tracker._conv.data) == 8
    assert tracker.stats.requests == 100


class ByCause:
    """`--source` links that give every finding of a cause, whatever the request (a test seam)."""

    def __init__(self, table: Mapping[str, tuple[Mapping[str, object], ...]]) -> None:
        self.table = table

    def for_request(self, cause: str, items: Sequence[Item]) -> tuple[Mapping[str, object], ...]:
        return tuple(self.table.get(cause, ()))


def test_source_findings_attached(monkeypatch: pytest.MonkeyPatch) -> None:
    finding = {"code": "PC101", "location": "app.py:3:5", "message": "Clock value in system prompt"}
    links = ByCause({"timestamp": (finding,)})
    monkeypatch.setattr("promptlint.trace.command.prompt_links", lambda _d: links)
    result = CliRunner().invoke(
        trace,
        [str(FIXTURES / "openai_chat_timestamp.jsonl"), "--source", str(FIXTURES), "--output-format", "json"],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    assert events[0]["findings"] == [finding]


def _pair(model: str, system: str, user: str, cached: int, prompt_tokens: int, **extra: Any) -> str:
    request = {
        "model": model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }
    response = {
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "prompt_tokens_details": {"cached_tokens": cached}},
    }
    return json.dumps({"request": request, "response": response, **extra})


def test_no_miss_cause_when_the_provider_reported_the_hit(tmp_path: Path) -> None:
    # A short prompt (under OpenAI's 1,024-token minimum by our count) that the provider still cached:
    # below-minimum would contradict the provider's own report.
    log = tmp_path / "log.jsonl"
    system = "Answer briefly. " * 30
    log.write_text(
        _pair("gpt-4o", system, "hi", 0, 200) + "\n" + _pair("gpt-4o", system, "hi again", 128, 201) + "\n"
    )
    result = CliRunner().invoke(trace, [str(log), "--output-format", "json"])
    assert result.exit_code == 0, result.output
    assert misses(json.loads(result.output)) == []


def test_redact_hashes_explicit_conversation_and_user_ids(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [
        json.dumps({"conversation_id": "user-jane.doe@example.com", **json.loads(line)})
        for line in (FIXTURES / "openai_chat_timestamp.jsonl").read_text().splitlines()
    ]
    log.write_text("\n".join(lines) + "\n")
    plain = CliRunner().invoke(trace, [str(log), "--output-format", "json"])
    assert "jane.doe" in plain.output  # without --redact the id is shown, as the log has it
    for fmt in ("text", "json"):
        redacted = CliRunner().invoke(trace, [str(log), "--redact", "--output-format", fmt])
        assert redacted.exit_code == 0 and "jane.doe" not in redacted.output
    assert all(e["conversation"].startswith("conversation-") for e in json.loads(redacted.output)["events"])


def test_fail_on_sets_the_exit_code() -> None:
    path = str(FIXTURES / "openai_chat_timestamp.jsonl")
    runner = CliRunner()
    assert runner.invoke(trace, [path]).exit_code == 0
    assert runner.invoke(trace, [path, "--fail-on", "timestamp"]).exit_code == 1
    assert runner.invoke(trace, [path, "--fail-on", "any"]).exit_code == 1
    assert runner.invoke(trace, [path, "--fail-on", "sliding-window,id"]).exit_code == 0
    bad = runner.invoke(trace, [path, "--fail-on", "timestamps"])
    assert bad.exit_code == 2 and "unknown cause timestamps" in bad.output


def _deepseek(user: str, hit: int, total: int) -> str:
    request = {
        "model": "deepseek-chat",
        "messages": [
            {"role": "system", "content": "You are an experienced financial report analyst..."},
            {"role": "user", "content": user},
        ],
    }
    usage = {"prompt_tokens": total, "prompt_cache_hit_tokens": hit, "prompt_cache_miss_tokens": total - hit}
    return json.dumps({"request": request, "response": {"model": "deepseek-chat", "usage": usage}})


def test_deepseek_worked_example_2_third_request_hits_the_persisted_prefix(tmp_path: Path) -> None:
    # DeepSeek's own example (seeds/002): A+B and A+C miss; the common prefix A is persisted and A+D
    # hits it. Hits come in multiples of 128 tokens.
    report = "Quarterly report. " + "Revenue rose in every region and costs were flat. " * 80
    asks = ["summarize the key information", "analyze the profitability", "analyze revenue to expenses"]
    total = 1000
    a_tokens = int(total * (len(report) + 60) / (len(report) + 90))  # system + report, by character share
    log = tmp_path / "deepseek.jsonl"
    log.write_text(
        "\n".join(
            _deepseek(f"{report}\n\nPlease {ask} of this financial report.", hit, total)
            for ask, hit in zip(asks, [0, 0, (a_tokens // 128) * 128], strict=True)
        )
        + "\n"
    )
    data = json.loads(CliRunner().invoke(trace, [str(log), "--output-format", "json"]).output)
    summary = data["summary"]
    assert summary["expected_vs_reported_mismatches"] == 0, summary
    assert summary["expected_cached_tokens"] > 0 and summary["expected_cached_tokens"] % 128 == 0


def test_the_deepseek_simulator_has_the_minimum_and_granularity_of_trace() -> None:
    from promptlint.simulate.base import SimRequest
    from promptlint.simulate.factory import build_model

    profile = build_profiles(default_profile_data())["deepseek"]
    model = build_model(profile, "deepseek-chat")
    short = SimRequest(tokens=tuple(range(20)), key="u", time=0.0)
    assert [model.serve(short).cached_tokens for _ in range(2)] == [0, 0]  # under 128: never a hit
    long = SimRequest(tokens=tuple(range(300)), key="u", time=1.0)
    model.serve(long)
    assert model.serve(long).cached_tokens == 256  # floored to a multiple of 128


def test_a_miss_after_the_cache_entry_expired_is_ttl_expired(tmp_path: Path) -> None:
    system = "Policy: be precise and cite the order number. " * 200  # well over 1,024 tokens
    first = json.loads(_pair("gpt-4o", system, "hi", 0, 2000))
    late = json.loads(_pair("gpt-4o", system, "hi again", 0, 2005))
    soon = json.loads(_pair("gpt-4o", system, "and again", 1920, 2010))
    first["timestamp"] = "2026-11-22T10:00:00Z"
    late["timestamp"] = "2026-11-22T10:20:00Z"  # 20 minutes later: past OpenAI's 5-10 minute idle TTL
    soon["timestamp"] = 1795342860  # epoch seconds, one minute after `late`
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(x) for x in (first, late, soon)) + "\n")
    data = json.loads(CliRunner().invoke(trace, [str(log), "--output-format", "json"]).output)
    assert misses(data) == [(2, "ttl-expired")]
    assert data["summary"]["expected_vs_reported_mismatches"] == 0


def test_a_tool_choice_change_is_params_changed_not_breakpoint(tmp_path: Path) -> None:
    system = [
        {
            "type": "text",
            "text": "Policy: be precise and cite the order number. " * 200,
            "cache_control": {"type": "ephemeral"},
        }
    ]

    def line(tool_choice: dict[str, str], read: int) -> str:
        request = {
            "model": "claude-sonnet-4-5-20250929",
            "max_tokens": 256,
            "system": system,
            "tool_choice": tool_choice,
            "messages": [{"role": "user", "content": "Where is order 7?"}],
        }
        usage = {"input_tokens": 20, "cache_read_input_tokens": read, "cache_creation_input_tokens": 2000}
        return json.dumps({"request": request, "response": {"usage": usage}})

    log = tmp_path / "log.jsonl"
    log.write_text(line({"type": "auto"}, 0) + "\n" + line({"type": "any"}, 0) + "\n")
    data = json.loads(CliRunner().invoke(trace, [str(log), "--output-format", "json"]).output)
    assert misses(data) == [(2, "params-changed")]
    event = data["events"][0]
    assert event["section"] == "tool_choice" and '"any"' in event["now"]
    redacted = CliRunner().invoke(trace, [str(log), "--output-format", "json", "--redact"]).output
    assert '"any"' not in json.loads(redacted)["events"][0]["now"]


def test_unrelated_applications_on_one_model_are_not_compared(tmp_path: Path) -> None:
    support = "You are ACME's support agent. Refunds within 30 days; cite the order number. " * 40
    coder = "You are a code reviewer. Point out bugs, then style, in that order, briefly. " * 40
    lines = [
        _pair("gpt-4o", support, "Where is order 7?", 0, 2000),
        _pair("gpt-4o", coder, "Review this diff", 0, 2000),
        _pair("gpt-4o", support, "Refund for order 9?", 1920, 2001),
        _pair("gpt-4o", coder, "And this one", 1920, 2002),
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    data = json.loads(CliRunner().invoke(trace, [str(log), "--output-format", "json"]).output)
    assert misses(data) == []  # line 2 is a new application, not a miss against line 1
    assert data["summary"]["cold_requests"] == 2


def test_a_conversation_keeps_its_id_when_its_prefix_breaks(tmp_path: Path) -> None:
    policy = "Policy: be precise and cite the order number. " * 200
    turns: list[dict[str, str]] = [{"role": "user", "content": "Where is order 7?"}]
    lines = []
    for i in range(3):
        system = f"Current time: 10:0{i}:00\n{policy}"
        request = {"model": "gpt-4o", "messages": [{"role": "system", "content": system}, *turns]}
        usage = {"prompt_tokens": 2000 + 50 * i, "prompt_tokens_details": {"cached_tokens": 0}}
        lines.append(json.dumps({"request": request, "response": {"usage": usage}}))
        turns = [
            *turns,
            {"role": "assistant", "content": f"Answer {i}"},
            {"role": "user", "content": f"Q{i}"},
        ]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    data = json.loads(CliRunner().invoke(trace, [str(log), "--output-format", "json"]).output)
    assert [cause for _line, cause in misses(data)] == ["timestamp", "timestamp"]
    assert len({e["conversation"] for e in data["events"]}) == 1
