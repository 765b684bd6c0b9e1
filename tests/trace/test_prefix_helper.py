"""The user-facing pytest helper `assert_stable_prefix`."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from promptlint.testing_prefix import assert_stable_prefix

SYSTEM = "You are a support assistant. " * 20


def good(question: str, user: str = "ada") -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{user}: {question}"}]


def test_stable_builder_passes_and_returns_prefix() -> None:
    prefix = assert_stable_prefix(
        good, ("where is my order?",), ("refund please",), {"question": "hi", "user": "bob"}
    )
    assert prefix == (SYSTEM,)


def test_clock_in_system_prompt_fails_with_location() -> None:
    ticks = itertools.count()

    def bad(question: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": f"{SYSTEM}\nTime: 10:00:{next(ticks):02d}"},
            {"role": "user", "content": question},
        ]

    with pytest.raises(AssertionError) as info:
        assert_stable_prefix(bad, ("q",))
    message = str(info.value)
    assert "system message 0" in message and f"char {len(SYSTEM) + 14}" in message
    assert "10:00:00" in message and "10:00:01" in message


def test_unsorted_json_in_history_fails() -> None:
    def build(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": "profile"},
                {"role": "assistant", "content": json.dumps(data)},
                {"role": "user", "content": "next"},
            ],
        }

    assert_stable_prefix(build, ({"a": 1, "b": 2},), ({"a": 1, "b": 2},))
    with pytest.raises(AssertionError, match="messages message 2"):
        assert_stable_prefix(build, ({"a": 1, "b": 2},), ({"b": 2, "a": 1},))


def test_anthropic_body_and_tools() -> None:
    def build(tools: list[str]) -> dict[str, Any]:
        return {
            "tools": [{"name": n, "input_schema": {"type": "object"}} for n in tools],
            "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        }

    assert_stable_prefix(build, (["a", "b"],), (["a", "b"],))
    with pytest.raises(AssertionError, match="tools"):
        assert_stable_prefix(build, (["a", "b"],), (["b", "a"],))


def test_rejects_unknown_return_type() -> None:
    with pytest.raises(TypeError):
        assert_stable_prefix(lambda: "just a string")
