"""Volatile values inside the conversation history: a clock read or a listing order that a turn was
made with is kept by that turn (every later request re-sends the same text), while a random pick of
the messages themselves is made anew for each request. Checked on the prompt IR directly, the shape
a wrapper that returns its history (`text, history = send(...)`) gives across modules."""

from __future__ import annotations

from dataclasses import replace

from promptlint.config.schema import Settings
from promptlint.diagnostics import Span
from promptlint.engine.lint import LintState, lint_source
from promptlint.ir import FileFacts, Part, Prompt, Provider, Role, Slot, Stability, Text, VolatileKind
from promptlint.source import FileKind, decode_source

GUIDE = "Write the paper in LaTeX; keep the figures readable and cite every claim with a reference. " * 60


def _codes(state: LintState, kind: VolatileKind, cause: str) -> list[str]:
    span = Span(0, 4)
    history = Slot("msg_history[-1:]", span, Stability.VOLATILE, cause, kind)
    prompt = Prompt(
        Provider.OPENAI,
        span,
        (
            Part(Role.SYSTEM, (Text(GUIDE, span),), span),
            Part(Role.HISTORY, (history,), span),
            Part(Role.HISTORY, (Slot("history", span, Stability.UNKNOWN, "parameter `history`"),), span),
            Part(Role.USER, (Text("Improve the draft.", span),), span),
        ),
        model="gpt-4o",
    )
    facts = FileFacts(prompts=(prompt,))
    own = replace(state, frontends={FileKind.PYTHON: lambda source, state, settings: facts})
    source = decode_source("writeup.py", b"pass\n", FileKind.PYTHON)
    result = lint_source(source, Settings(select=("ALL",)), own)
    assert not result.errors, result.errors
    return sorted(d.code for d in result.diagnostics)


def test_listing_order_kept_by_an_earlier_turn_is_silent(state: LintState) -> None:
    assert "PC302" not in _codes(state, VolatileKind.ORDER, "plot_names")


def test_clock_kept_by_an_earlier_turn_is_silent(state: LintState) -> None:
    assert "PC101" not in _codes(state, VolatileKind.TIME, "datetime.now()")


def test_random_pick_of_the_messages_is_reported(state: LintState) -> None:
    assert "PC103" in _codes(state, VolatileKind.RANDOM, "random.sample()")
