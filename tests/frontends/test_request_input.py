"""Evidence of per-request input: which slots are the user's message, and what counts as computed
from it (`request_input.with_user_message_evidence`)."""

from __future__ import annotations

from promptlint.diagnostics import Span
from promptlint.frontends.python.request_input import with_user_message_evidence
from promptlint.ir import Part, Role, Slot, Stability


def _slot(label: str, cause: str, at: int) -> Slot:
    return Slot(label, Span(at, at + 1), Stability.UNKNOWN, cause)


def _stabilities(parts: tuple[Part, ...]) -> list[Stability]:
    return [seg.stability for part in parts for seg in part.segments if isinstance(seg, Slot)]


def test_a_value_computed_from_the_question_is_per_request() -> None:
    parts = (
        Part(Role.SYSTEM, (_slot("recall(question)", "parameter `question`", 0),), Span(0, 1)),
        Part(Role.USER, (_slot("question", "parameter `question`", 2),), Span(2, 3)),
    )
    assert _stabilities(with_user_message_evidence(parts)) == [Stability.REQUEST, Stability.REQUEST]


def test_what_is_drawn_from_a_conversation_parameter_is_not_the_question() -> None:
    # `for msg in messages`: the newest message is the turn, but the system text the conversation
    # carries (`content if isinstance(content, str) else ...`) is not computed from it (HKUDS/DeepCode)
    cause = "parameter `messages`"
    parts = (
        Part(
            Role.SYSTEM,
            (_slot("content if isinstance(content, str) else str(content)", cause, 0),),
            Span(0, 1),
        ),
        Part(Role.USER, (_slot("msg", cause, 2),), Span(2, 3)),
    )
    assert _stabilities(with_user_message_evidence(parts)) == [Stability.UNKNOWN, Stability.REQUEST]
